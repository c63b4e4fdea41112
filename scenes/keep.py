"""What a process keeps per scene: a small least-recently-used table, safe to share between threads.

Compiled models, ray scenes, view tables and generated suite scenes are each built from frozen
inputs and reused by every env on the same scene; `Kept` holds them, the least recently used
first out when full.

Example:
    >>> kept = Kept(2)
    >>> kept.get("a", lambda: 1), kept.get("b", lambda: 2), kept.get("a", lambda: 99)
    (1, 2, 1)
    >>> kept.get("c", lambda: 3), "b" in kept, "a" in kept   # "b" was the least recently used
    (3, False, True)
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Callable, Hashable


class Kept:
    """At most `size` values by key; `get(key, build)` returns the kept value or builds and keeps it.
    `build` runs outside the lock (two threads may build the same value; the first kept wins). A
    key that cannot be hashed keeps nothing: every call builds."""

    def __init__(self, size: int) -> None:
        if not (isinstance(size, int) and size >= 1):
            raise ValueError(f"size must be a positive number of entries, not {size!r}")
        self.size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], Any]) -> Any:
        try:
            hash(key)
        except TypeError:  # a key with a mutable part (a spec that is not frozen): built for this caller alone
            return build()
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = build()
        with self._lock:
            if key in self._items:  # built meanwhile by another thread
                return self._items[key]
            self._items[key] = value
            if len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def __contains__(self, key: Hashable) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
