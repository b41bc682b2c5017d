"""Writing a run folder's JSONL outputs so that a reader never sees half a file."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any


def write_jsonl_atomically(path: Path, rows: Iterable[dict[str, Any]]) -> Path:
    """One JSON object per line, written beside `path` and renamed over it: a rerun replaces
    the old file whole and a crash leaves the previous one intact."""
    partial = path.with_suffix(path.suffix + ".partial")
    with partial.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    partial.replace(path)
    return path
