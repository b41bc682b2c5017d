"""`reasoning.jsonl` in the run folder: one line per record (the export reads it)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from shared.datasets.write import write_jsonl_atomically

REASONING_FILE = "reasoning.jsonl"


def write_reasoning(run_dir: Path, lines: Sequence[dict[str, Any]]) -> Path:
    return write_jsonl_atomically(run_dir / REASONING_FILE, lines)
