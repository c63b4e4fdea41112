"""Results files: append-only episode JSONL and atomically written JSON.

Every write either lands whole or not at all: JSON files are written to a temporary file
and renamed; JSONL records are appended one complete line per write, and a torn last
line (from a killed run) is ignored when reading.
"""

from __future__ import annotations

import json
import os
import tempfile
from typing import Callable, Iterator


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def write_json_atomic(path: str, obj, indent: int = 2) -> None:
    write_text_atomic(path, json.dumps(obj, indent=indent, sort_keys=True) + "\n")


def write_text_atomic(path: str, text: str) -> None:
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".tmp-", suffix=os.path.basename(path))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; results are for everyone who may read the folder
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def jsonl_line(record: dict) -> str:
    return json.dumps(record, sort_keys=True) + "\n"


def append_jsonl(f, record: dict) -> None:
    """Append one record to an open file as a single line, flushed to disk."""
    f.write(jsonl_line(record))
    f.flush()
    os.fsync(f.fileno())


def iter_jsonl(path: str, on_skip: Callable[[int, str], None] | None = None) -> Iterator[tuple[int, dict]]:
    """(line number, record) for every line of a JSONL file that is a complete JSON object;
    `on_skip(line_number, reason)` hears about every other non-blank line (a torn last line,
    a bad byte, a bare list). A missing file has no lines."""
    if not os.path.exists(path):
        return
    with open(path, encoding="utf-8", errors="replace") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except (ValueError, RecursionError) as e:  # JSONDecodeError, a >4300-digit integer, deep nesting
                if on_skip is not None:
                    reason = getattr(e, "msg", None) or ("nested too deeply" if isinstance(e, RecursionError) else str(e)[:80])
                    on_skip(number, f"not JSON ({reason})")
                continue
            if isinstance(rec, dict):
                yield number, rec
            elif on_skip is not None:
                on_skip(number, f"a JSON {type(rec).__name__}, not an object")


def read_jsonl(path: str, on_skip: Callable[[int, str], None] | None = None) -> list[dict]:
    """Records of a JSONL file; lines that are not complete JSON objects are skipped (see iter_jsonl)."""
    return [rec for _, rec in iter_jsonl(path, on_skip)]
