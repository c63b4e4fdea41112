"""parse_turn on anything: a parsed turn or ActionError, never another exception."""

import math

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sim.actions import VALID_ROTATIONS, ActionError, Observe, Rotate, format_turn, parse_turn

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# fragments of the grammar, so generated strings come close to valid turns and break them in many ways
NAMES = st.sampled_from(["tv", "door_0", "Door 1", "'vase'", "", "x" * 300, "door_0), Rotate(90", "ü", "1abc", "a b-c"])
NUMBERS = st.one_of(
    st.sampled_from(["90", "-90", "+180", "270.0", "90.", "inf", "-inf", "nan", "1e400", "90.0000001", "1e2", "0x5a",
                     "9" * 5000, "-0", "", " 90 ", "٩٠", "90,0", "½"]),
    st.integers().map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)
KINDS = st.sampled_from(["Rotate", "MoveTo", "Query", "Observe", "Term", "Dance", "rotate", "ROTATE", "", "Rotateee"])
TOKEN = st.one_of(
    st.builds(lambda k, a: f"{k}({a})", KINDS, st.one_of(NAMES, NUMBERS)),
    st.sampled_from(["Observe()", "Term()", "Rotate(90)", "(", ")", "[", "]", ",", "((", "))", "\x00", "\n"]),
    st.text(max_size=20),
)
TURNS = st.builds(lambda pre, toks, sep, post: pre + sep.join(toks) + post,
                  st.sampled_from(["Actions: [", "[", "", "Actions: ", "Actions: [[", "]["]),
                  st.lists(TOKEN, max_size=8), st.sampled_from([", ", ",", " ", "", ";"]),
                  st.sampled_from(["]", "", "]]", "] trailing text", "\n"]))
ANYTHING = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=30), st.binary(max_size=10)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=10,
)


def _check(value):
    try:
        actions = parse_turn(value)
    except ActionError as e:
        assert str(e) and "\n" not in str(e) and len(str(e)) < 400  # one bounded line
        return None
    assert actions and actions[-1].final
    assert parse_turn(format_turn(actions)) == actions  # what parses, prints and parses back the same
    return actions


@SETTINGS
@given(st.text())
def test_any_text_parses_or_raises_action_error(text):
    _check(text)


@SETTINGS
@given(TURNS)
@example("][" + ",".join(["0000000" + "\x1f" * 7 + "\U00011daa\U00018cd6\U00018d09\U00018d09\U0001b2fc"] * 4) + "]")
def test_near_grammatical_turns_parse_or_raise_action_error(text):
    _check(text)


@SETTINGS
@given(st.text(), st.integers(1, 120))
def test_error_messages_show_a_bounded_line_of_any_text(text, n):
    """What an error quotes of a client's text is one line of at most n characters of repr (escapes
    counted as printed), plus its length when cut: astral and control characters print 4-10 wide."""
    from sim.actions import _show

    shown = _show(text, n)
    assert "\n" not in shown and len(shown) <= n + 1 + len(f"... ({len(text)} characters)")
    if len(repr(text)) <= n + 2:
        assert shown == repr(text)
    assert _show("\U0001b2fc" * 50, 20).endswith("... (50 characters)") and len(_show("\U0001b2fc" * 50, 20)) < 45


@SETTINGS
@given(st.one_of(ANYTHING, st.lists(st.one_of(ANYTHING, TURNS, st.just(Observe()), st.just(Rotate(90))), max_size=5)))
def test_any_value_parses_or_raises_action_error(value):
    _check(value)


@SETTINGS
@given(st.floats(allow_nan=True, allow_infinity=True))
def test_rotate_takes_exact_whole_degrees_only(x):
    text = f"Actions: [Rotate({x!r}), Observe()]"
    ok = math.isfinite(x) and x == int(x) and int(x) in VALID_ROTATIONS
    if ok:
        assert parse_turn(text)[0] == Rotate(int(x))
    else:
        with pytest.raises(ActionError):
            parse_turn(text)


@pytest.mark.parametrize("arg", ["inf", "-inf", "nan", "1e400", "90.0000001", "89.9999999", "1e2", "9" * 5000, "90.5"])
def test_rotate_rejects_non_integer_and_non_finite_degrees(arg):
    with pytest.raises(ActionError, match="Rotate"):
        parse_turn(f"Actions: [Rotate({arg}), Observe()]")


@pytest.mark.parametrize("value", [[0], [[0]], [None], [{"a": 1}], 5, None, b"Actions: [Observe()]", {"turn": 1}])
def test_non_turn_values_raise_action_error(value):
    with pytest.raises(ActionError):
        parse_turn(value)


def test_exact_degrees_written_as_floats_still_parse():
    assert parse_turn("Actions: [Rotate(90.0), Rotate(-180), Rotate(+270), Observe()]") == \
        [Rotate(90), Rotate(-180), Rotate(270), Observe()]
