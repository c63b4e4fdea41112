"""Results files (scenes/jsonio.py): exact bytes written, torn and junk lines skipped and
reported, atomic writes that leave nothing behind, UTF-8 whatever the locale, plus
hypothesis properties for the JSONL reader (any bytes -> a list of dicts)."""

import glob
import json
import os
import stat
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scenes import jsonio
from scenes.jsonio import (
    append_jsonl,
    iter_jsonl,
    jsonl_line,
    read_jsonl,
    write_json_atomic,
    write_text_atomic,
)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROPERTY = settings(max_examples=150, deadline=None, database=None, derandomize=True)


def test_a_jsonl_line_is_sorted_ascii_json_and_one_newline():
    assert jsonl_line({"b": 1, "a": [1, "é"]}) == '{"a": [1, "\\u00e9"], "b": 1}\n'


def test_appended_records_are_on_disk_when_append_returns(tmp_path):
    p = tmp_path / "episodes.jsonl"
    with open(p, "a", encoding="utf-8") as f:
        append_jsonl(f, {"seed": 1, "agent": "scout"})
        assert p.read_text() == '{"agent": "scout", "seed": 1}\n'  # flushed, before the file is closed
        append_jsonl(f, {"seed": 2})
    assert p.read_text() == '{"agent": "scout", "seed": 1}\n{"seed": 2}\n'


def test_json_files_are_indented_sorted_and_end_with_a_newline(tmp_path):
    p = tmp_path / "out.json"
    write_json_atomic(str(p), {"b": 1, "a": [1]})
    assert p.read_text() == '{\n  "a": [\n    1\n  ],\n  "b": 1\n}\n'
    write_json_atomic(str(p), {"b": 1, "a": [1]}, indent=None)
    assert p.read_text() == '{"a": [1], "b": 1}\n'


def test_text_is_written_through_a_hidden_temporary_file_beside_the_target(tmp_path, monkeypatch):
    target = tmp_path / "new" / "dir" / "results.json"  # missing folders are made
    seen = []
    real_replace = os.replace

    def spy(src, dst):
        seen.append((src, dst, sorted(glob.glob(str(target.parent / "*.json")))))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    write_text_atomic(str(target), "hello\n")
    (src, dst, visible), = seen
    assert dst == str(target) and os.path.dirname(src) == str(target.parent)  # same folder: the rename is atomic
    name = os.path.basename(src)
    assert name.startswith(".tmp-") and name.endswith("results.json") and len(name) > len(".tmp-results.json")
    assert visible == []  # a "*.json" glob does not see the half-written file
    assert target.read_text() == "hello\n" and os.listdir(target.parent) == ["results.json"]


def test_results_files_are_readable_by_everyone_the_umask_allows(tmp_path):
    p = tmp_path / "out.json"
    write_json_atomic(str(p), {})
    assert stat.S_IMODE(os.stat(p).st_mode) == 0o666 & ~jsonio._UMASK


def test_reading_the_umask_leaves_it_unchanged():
    old = os.umask(0o027)
    try:
        assert jsonio._current_umask() == 0o027
        assert os.umask(0o027) == 0o027  # still set
    finally:
        os.umask(old)


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch):
    p = tmp_path / "out.json"
    p.write_text("old\n")

    def broken(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError, match="disk full"):
        write_text_atomic(str(p), "new\n")
    monkeypatch.undo()
    with pytest.raises(TypeError):
        write_text_atomic(str(p), 12)  # not text: fails inside the write
    assert os.listdir(tmp_path) == ["out.json"] and p.read_text() == "old\n"


JUNK = (b'{"a": 1}\n'          # 1 a record
        b'\n'                  # 2 blank: not reported
        b'{"a": \n'            # 3 torn
        b'[1, 2]\n'            # 4 a list
        b'{"b": 2}\n'          # 5 a record
        + b'[' * 100_000 + b'\n'  # 6 nested too deeply for the parser
        + b'{"c": "\xff"}\n'   # 7 a bad byte: replaced, the record kept
        b'  \t \n'             # 8 whitespace only: not reported
        b'"text"\n'            # 9 a string
        b'{"d": 4}')           # 10 a record without a final newline


def test_iter_jsonl_numbers_records_and_reports_every_skipped_line(tmp_path):
    p = tmp_path / "episodes.jsonl"
    p.write_bytes(JUNK)
    skipped = []
    got = list(iter_jsonl(str(p), lambda n, why: skipped.append((n, why))))
    assert got == [(1, {"a": 1}), (5, {"b": 2}), (7, {"c": "\ufffd"}), (10, {"d": 4})]
    assert skipped == [(3, "not JSON (Expecting value)"), (4, "a JSON list, not an object"),
                       (6, "not JSON (nested too deeply)"), (9, "a JSON str, not an object")]
    assert read_jsonl(str(p)) == [{"a": 1}, {"b": 2}, {"c": "\ufffd"}, {"d": 4}]  # no listener: skipped quietly
    heard = []
    assert read_jsonl(str(p), lambda n, why: heard.append((n, why))) == [{"a": 1}, {"b": 2}, {"c": "\ufffd"}, {"d": 4}]
    assert heard == skipped


def test_a_missing_file_has_no_records(tmp_path):
    skipped = []
    assert read_jsonl(str(tmp_path / "nope.jsonl"), lambda n, why: skipped.append(n)) == [] and skipped == []


def test_a_line_with_an_over_long_integer_is_skipped_and_named(tmp_path):
    p = tmp_path / "episodes.jsonl"
    p.write_bytes(b'{"a": 1}\n{"n": ' + b"9" * 5000 + b'}\n{"b": 2}\n')
    assert read_jsonl(str(p)) == [{"a": 1}, {"b": 2}]
    try:  # Python's own words for it (int max str digits), cut to 80 characters
        int("9" * 5000)
    except ValueError as e:
        words = str(e)
    assert len(words) > 80
    heard = []
    assert read_jsonl(str(p), lambda n, why: heard.append((n, why))) == [{"a": 1}, {"b": 2}]
    assert heard == [(2, f"not JSON ({words[:80]})")]


def test_results_files_are_utf8_whatever_the_locale(tmp_path):
    text, line = "belief ±95% → café\n", '{"name": "café"}\n'
    write_text_atomic(str(tmp_path / "here.txt"), text)
    (tmp_path / "raw.jsonl").write_bytes(line.encode("utf-8"))
    assert read_jsonl(str(tmp_path / "raw.jsonl")) == [{"name": "café"}]
    # the same in a process whose locale encoding is ASCII (C locale, no UTF-8 mode)
    code = ("import json, sys; from scenes.jsonio import read_jsonl, write_text_atomic; "
            "write_text_atomic(sys.argv[1] + '/there.txt', json.loads(sys.argv[2])); "
            "print(json.dumps(read_jsonl(sys.argv[1] + '/raw.jsonl')))")
    env = dict(os.environ, LC_ALL="C", LANG="C", PYTHONUTF8="0", PYTHONCOERCECLOCALE="0", PYTHONPATH=ROOT,
               PYTHONIOENCODING="ascii:backslashreplace")
    r = subprocess.run([sys.executable, "-c", code, str(tmp_path), json.dumps(text)], capture_output=True, text=True,
                       env=env, cwd=ROOT, timeout=60, check=False)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == [{"name": "café"}]
    assert (tmp_path / "there.txt").read_bytes() == text.encode("utf-8") == (tmp_path / "here.txt").read_bytes()


# -- properties ------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
RECORDS = st.lists(st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=5), max_size=6)


@PROPERTY
@given(st.binary(max_size=2000))
def test_any_bytes_read_as_a_list_of_dicts(tmp_path_factory, data):
    p = tmp_path_factory.mktemp("jsonl") / "any.jsonl"
    p.write_bytes(data)
    skipped = []
    got = read_jsonl(str(p), lambda n, why: skipped.append(n))
    assert isinstance(got, list) and all(isinstance(r, dict) for r in got)
    assert len(got) + len(skipped) <= data.count(b"\n") + data.count(b"\r") + 1  # universal newlines
    assert skipped == sorted(set(skipped))


@PROPERTY
@given(RECORDS, st.data())
def test_appended_records_read_back_equal_even_after_a_torn_last_line(tmp_path_factory, records, data):
    p = tmp_path_factory.mktemp("jsonl") / "episodes.jsonl"
    with open(p, "a", encoding="utf-8") as f:
        for r in records:
            append_jsonl(f, r)
    assert read_jsonl(str(p)) == records
    # a killed writer leaves a strict prefix of one more record's line (never its closing brace)
    torn = jsonl_line(data.draw(st.dictionaries(st.text(max_size=8), JSON_VALUES, min_size=1, max_size=3)))
    cut = data.draw(st.integers(0, len(torn) - 2))
    with open(p, "a", encoding="utf-8") as f:
        f.write(torn[:cut])
    assert read_jsonl(str(p)) == records
