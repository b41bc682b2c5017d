"""Reading an export folder's training records (the Parquet files of the `default` config)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from shared.export.records import ExportError
from shared.export.splits import SPLITS


def read_export(folder: Path, splits: Sequence[str] = SPLITS) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for split in splits:
        for path in sorted((folder / "data").glob(f"{split}-*.parquet")):
            for row in pq.read_table(path).to_pylist():
                rows.append({**row, "split": split})
    if not rows:
        raise ExportError(f"{folder} has no exported records (data/<split>-*.parquet)")
    return rows


def read_predictions(path: Path) -> dict[str, dict[str, str]]:
    """id → SQL per dialect ("*" for one text on every engine). JSONL lines
    {"id", "sql"} or {"id", "sql_by_dialect": {...}}; a JSON object {id: sql} also works."""
    if not path.is_file():
        raise ExportError(f"no predictions file {path}")
    text = path.read_text(encoding="utf-8")
    out: dict[str, dict[str, str]] = {}
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        document = None  # JSONL: one object per line, read below
    if isinstance(document, dict) and "id" not in document:
        return {str(k): {"*": str(v)} for k, v in document.items()}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ExportError(f"{path}:{number}: not JSON ({exc.msg})") from exc
        if not isinstance(item, dict) or "id" not in item:
            raise ExportError(f"{path}:{number}: expected an object with an id")
        by_dialect = item.get("sql_by_dialect")
        sql = item.get("sql") or item.get("predicted_sql") or item.get("prediction")
        if isinstance(by_dialect, dict):
            out[str(item["id"])] = {str(k): str(v) for k, v in by_dialect.items() if v}
        elif isinstance(sql, str):
            out[str(item["id"])] = {"*": sql}
        else:
            raise ExportError(f"{path}:{number}: no sql or sql_by_dialect")
    return out
