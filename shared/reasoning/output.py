"""`reasoning.jsonl` in the run folder: one line per record (the export reads it)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REASONING_FILE = "reasoning.jsonl"


def write_reasoning(run_dir: Path, lines: Sequence[dict[str, Any]]) -> Path:
    path = run_dir / REASONING_FILE
    partial = path.with_suffix(".jsonl.partial")
    with partial.open("w", encoding="utf-8") as handle:
        for line in lines:
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")
    partial.replace(path)
    return path
