"""Reading a run's records for pairs and writing `preferences.jsonl`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

PREFERENCES_FILE = "preferences.jsonl"


def write_preferences(run_dir: Path, pairs: Sequence[dict[str, Any]]) -> Path:
    """Write atomically: a reader never sees half a file, and a rerun replaces the old one."""
    path = run_dir / PREFERENCES_FILE
    partial = path.with_suffix(".jsonl.partial")
    with partial.open("w", encoding="utf-8") as handle:
        for pair in pairs:
            handle.write(json.dumps(pair, ensure_ascii=False) + "\n")
    partial.replace(path)
    return path
