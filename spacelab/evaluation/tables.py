"""Columnar copies of the results for analysis: episodes.parquet and probes.parquet.

JSONL stays the source of truth (append-only, crash-safe); the Parquet files are rebuilt
from it at the end of each run, written to a temporary file and renamed.
"""

from __future__ import annotations

import json
import os
import tempfile

KEY = ("suite", "index", "agent", "protocol", "config_hash", "seed")
# bulky per-step or per-question lists live in probes.parquet or stay in the JSONL
SKIP = {"actions", "trajectory", "probes", "probe_errors", "final_map", "invalid_actions", "observed", "first_seen",
        "traceback", "questions", "changes", "reported", "changes_seen"}


def flatten(record: dict, prefix: str = "") -> dict:
    """Nested dicts -> dotted scalar columns; lists and skipped fields are left out."""
    out = {}
    for k, v in record.items():
        if k in SKIP:
            continue
        name = f"{prefix}{k}"
        if isinstance(v, dict):
            out |= flatten(v, name + ".")
        elif isinstance(v, bool) or v is None or isinstance(v, str):
            out[name] = v
        elif isinstance(v, (int, float)):
            out[name] = v
    return out


def episode_rows(records: list[dict]) -> list[dict]:
    return [flatten(r) for r in records]


def probe_rows(records: list[dict]) -> list[dict]:
    rows = []
    for r in records:
        for p in r.get("probes") or []:
            rows.append({**{k: r.get(k) for k in KEY}, **p})
    return rows


def write_parquet(out_dir: str, records: list[dict]) -> list[str]:
    """Write episodes.parquet and probes.parquet; returns the paths written ([] without pyarrow)."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        return []
    written = []
    for name, rows in (("episodes.parquet", episode_rows(records)), ("probes.parquet", probe_rows(records))):
        if not rows:
            continue
        columns = sorted({k for row in rows for k in row})
        table = pa.table({c: _column(pa, [row.get(c) for row in rows]) for c in columns})
        path = os.path.join(out_dir, name)
        fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=".tmp-", suffix=name)
        os.close(fd)
        try:
            pq.write_table(table, tmp)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        written.append(path)
    return written


def _column(pa, values: list):
    kinds = {type(v) for v in values if v is not None}
    if kinds <= {int}:
        return pa.array(values, type=pa.int64())
    if kinds <= {int, float}:
        return pa.array([None if v is None else float(v) for v in values], type=pa.float64())
    if kinds <= {bool}:
        return pa.array(values, type=pa.bool_())
    return pa.array([v if v is None or isinstance(v, str) else json.dumps(v) for v in values], type=pa.string())
