"""scenes.keep.Kept: the per-process tables of compiled models, ray scenes, view tables and suite scenes."""

import threading

import pytest

from scenes.keep import Kept


def test_kept_values_are_built_once_and_the_least_recently_used_goes_first():
    built = []

    def build(v):
        return lambda: built.append(v) or v

    kept = Kept(3)
    assert [kept.get(k, build(k)) for k in "abc"] == ["a", "b", "c"]
    assert kept.get("a", build("A")) == "a"  # kept: not built again, and now the most recently used
    kept.get("d", build("d"))  # full: "b" is the least recently used
    assert built == ["a", "b", "c", "d"] and "b" not in kept and all(k in kept for k in "acd") and len(kept) == 3
    kept.clear()
    assert len(kept) == 0 and kept.get("a", build("a2")) == "a2"


def test_a_failed_build_keeps_nothing():
    kept = Kept(2)

    def fail():
        raise TypeError("not frozen")

    with pytest.raises(TypeError):
        kept.get("x", fail)
    assert "x" not in kept and kept.get("x", lambda: 1) == 1


@pytest.mark.parametrize("size", [0, -1, 1.5, "3", None])
def test_kept_refuses_a_size_that_is_not_a_positive_count(size):
    with pytest.raises(ValueError, match="size must be a positive number"):
        Kept(size)


def test_threads_sharing_a_table_all_get_the_one_kept_value():
    kept, got, start = Kept(4), [], threading.Barrier(8)

    def worker(i):
        start.wait()
        for k in range(200):
            got.append((k % 6, kept.get(k % 6, lambda k=k: object()) is kept.get(k % 6, lambda: None)))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 1600 and len(kept) == 4


def test_a_key_that_cannot_be_hashed_builds_every_time_and_keeps_nothing():
    kept, built = Kept(4), []
    key = ("scene", ["a mutable part"])
    assert kept.get(key, lambda: built.append(1) or "v1") == "v1" and kept.get(key, lambda: built.append(2) or "v2") == "v2"
    assert built == [1, 2] and len(kept) == 0
