"""Open what the report measures: a dataset file of any supported format, or a run folder.

A run folder (what `sqlsynth run` writes) is read as its `dataset.jsonl` plus the files beside
it: `summary.json`, `rejected.jsonl`, `duplicates.jsonl` and `run.json`, for the waterfall and
the spec the run was asked to follow.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from proto.common import Engine
from shared.datasets import DatasetError, DatasetRecord, LoadError, load_dataset

DATASET_FILE = "dataset.jsonl"
SUMMARY_FILE = "summary.json"
REJECTED_FILE = "rejected.jsonl"
DUPLICATES_FILE = "duplicates.jsonl"
RUN_FILE = "run.json"


@dataclass
class RunFiles:
    """The files of one `sqlsynth run` beside its dataset (each may be missing)."""

    folder: Path
    summary: dict[str, Any] | None = None
    rejected: list[dict[str, Any]] = field(default_factory=list)
    duplicates: list[dict[str, Any]] = field(default_factory=list)
    request: dict[str, Any] | None = None

    @property
    def spec_document(self) -> dict[str, Any] | None:
        """The spec document the run was requested with ({} means the default spec)."""
        if self.request is None:
            return None
        spec = self.request.get("spec")
        return spec if isinstance(spec, dict) else None


@dataclass
class LoadedDataset:
    name: str
    path: Path
    format: str
    records: list[DatasetRecord]
    errors: list[LoadError] = field(default_factory=list)
    run: RunFiles | None = None


def load_report_dataset(
    path: str | Path,
    *,
    name: str | None = None,
    format: str = "auto",
    field_map: Mapping[str, str] | None = None,
    dialect: Engine | str | None = None,
    limit: int | None = None,
) -> LoadedDataset:
    """Read a dataset file or a run folder; raises DatasetError when it cannot be read."""
    source = Path(path)
    run: RunFiles | None = None
    if source.is_dir():
        dataset_file = source / DATASET_FILE
        if not dataset_file.is_file():
            raise DatasetError(f"{source} is a folder without {DATASET_FILE}")
        run = read_run_files(source)
        source = dataset_file
    elif source.name == DATASET_FILE and (source.parent / SUMMARY_FILE).is_file():
        run = read_run_files(source.parent)
    if run is not None and source.stat().st_size == 0:
        # A run that accepted nothing still has a report (its waterfall says why).
        records: list[DatasetRecord] = []
        return LoadedDataset(
            name or _default_name(source), source, "sqlsynth", records, [], run=run
        )
    reader = load_dataset(source, format=format, field_map=field_map, dialect=dialect)
    records = list(itertools.islice(reader, limit))
    return LoadedDataset(
        name=name or _default_name(source),
        path=source,
        format=reader.format.value,
        records=records,
        errors=list(reader.errors),
        run=run,
    )


def read_run_files(folder: Path) -> RunFiles:
    return RunFiles(
        folder=folder,
        summary=_read_json(folder / SUMMARY_FILE),
        rejected=_read_jsonl(folder / REJECTED_FILE),
        duplicates=_read_jsonl(folder / DUPLICATES_FILE),
        request=_read_json(folder / RUN_FILE),
    )


def _default_name(source: Path) -> str:
    # dataset.jsonl says nothing: the run folder's name does.
    return source.parent.name if source.name == DATASET_FILE else source.stem


def _read_json(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Objects of a JSONL file; a torn or garbled line (a crash mid-write) is skipped."""
    if not path.is_file():
        return []
    rows: list[dict[str, Any]] = []
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            try:
                value = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(value, dict):
                rows.append(value)
    return rows


def make_unique_names(names: list[str]) -> list[str]:
    """Make dataset names distinct for side-by-side columns: b, b (2), b (3)."""
    seen: dict[str, int] = {}
    out: list[str] = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out
