"""One way to register things by name: agents, backends, suites, protocols, launchers,
robots and tasks all live in a `Registry`.

An entry is a name plus an entry point, either an object or a ``"module:attribute"``
string imported on first use (so registering costs nothing and optional dependencies are
only needed by whoever uses them), plus fixed keyword arguments and a one-line doc for
`--help` and error messages. Unknown names raise `UnknownNameError`, a `ValueError` whose
message lists the choices.

Example:
    >>> numbers = Registry("number")
    >>> _ = numbers.register("third", "fractions:Fraction", numerator=1, denominator=3, doc="one third")
    >>> numbers.make("third")
    Fraction(1, 3)
    >>> "third" in numbers, list(numbers)
    (True, ['third'])
    >>> numbers.make("half")
    Traceback (most recent call last):
    ...
    scenes.registry.UnknownNameError: unknown number 'half'; choose one of: third
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator


class UnknownNameError(ValueError):
    """A name that is not registered (the message lists the registered ones)."""


class EntryPointError(ValueError):
    """A registered entry point that cannot be imported (the message names it and why)."""


@dataclass(frozen=True)
class Entry:
    name: str
    entry_point: str | Callable[..., Any]  # "package.module:attr.attr" or the object itself
    kwargs: dict = field(default_factory=dict)  # fixed arguments, overridable by the caller
    doc: str = ""

    def load(self) -> Callable[..., Any]:
        """The entry point's object, importing its module the first time."""
        if not isinstance(self.entry_point, str):
            return self.entry_point
        module, _, attr = self.entry_point.partition(":")
        try:
            obj = importlib.import_module(module)
            for part in filter(None, attr.split(".")):
                obj = getattr(obj, part)
        except (ImportError, AttributeError) as e:
            raise EntryPointError(f"{self.name!r} points to {self.entry_point!r}, which cannot be loaded: {e}") from e
        return obj


class Registry:
    """Named entry points of one kind (the kind names itself in error messages)."""

    def __init__(self, kind: str, error: type[Exception] = UnknownNameError) -> None:
        self.kind = kind
        self.error = error  # raised for an unknown name (a layer may want its own, e.g. BackendError)
        self._entries: dict[str, Entry] = {}

    def register(self, name: str, entry_point: str | Callable[..., Any], *, doc: str = "", replace: bool = False,
                 **kwargs: Any) -> Entry:
        """Add `name`; a name already taken raises unless `replace=True`."""
        if not isinstance(name, str) or not name or "@" in name or name != name.strip():
            raise ValueError(f"{self.kind} name must be a non-empty string without '@' or surrounding spaces, got {name!r}")
        if isinstance(entry_point, str) and ":" not in entry_point:
            raise ValueError(f"entry point for {self.kind} {name!r} must look like 'package.module:attribute', "
                             f"got {entry_point!r}")
        if name in self._entries and not replace:
            raise ValueError(f"{self.kind} {name!r} is already registered (pass replace=True to override it)")
        entry = Entry(name, entry_point, dict(kwargs), doc)
        self._entries[name] = entry
        return entry

    def unregister(self, name: str) -> None:
        self.get(name)
        del self._entries[name]

    def get(self, name: str) -> Entry:
        try:
            return self._entries[name]
        except (KeyError, TypeError):
            raise self.error(f"unknown {self.kind} {name!r}; choose one of: {', '.join(self._entries)}") from None

    def load(self, name: str) -> Callable[..., Any]:
        return self.get(name).load()

    def make(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Call the entry point with the registered keyword arguments, updated by `kwargs`."""
        entry = self.get(name)
        return entry.load()(*args, **{**entry.kwargs, **kwargs})

    def help(self) -> str:
        """One line per entry: name and doc, for --help and `spacelab list`."""
        width = max((len(n) for n in self._entries), default=0)
        return "\n".join(f"  {e.name:<{width}}  {e.doc}".rstrip() for e in self._entries.values())

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}: {', '.join(self._entries)})"
