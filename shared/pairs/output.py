"""Where a run's preference pairs go: `preferences.jsonl` in the run folder."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from shared.datasets.write import write_jsonl_atomically

PREFERENCES_FILE = "preferences.jsonl"


def write_preferences(run_dir: Path, pairs: Sequence[dict[str, Any]]) -> Path:
    return write_jsonl_atomically(run_dir / PREFERENCES_FILE, pairs)
