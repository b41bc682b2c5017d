"""`export_run`: a finished run folder → Parquet configs and splits, and the dataset card.

Layout (what `datasets.load_dataset(DIR)` reads through the card's `configs`):
    DIR/README.md
    DIR/data/{train,validation,test}-00000-of-00001.parquet        config `default`
    DIR/provenance/{split}-00000-of-00001.parquet                   config `provenance`
    DIR/sft/{split}-00000-of-00001.parquet                          config `sft`
    DIR/dpo/{split}-00000-of-00001.parquet                          config `dpo` (with pairs)
"""

from __future__ import annotations

import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from shared.export import columns
from shared.export.card import ConfigFiles, RunFacts, read_json, write_card
from shared.export.prompts import render_messages
from shared.export.records import (
    ExportError,
    iterate_jsonl,
    provenance_record,
    read_run_records,
    seed_benchmark,
    training_record,
)
from shared.export.splits import SPLITS, SplitPlan, assign_splits
from shared.reasoning.output import REASONING_FILE

PREFERENCES_FILE = "preferences.jsonl"


@dataclass(frozen=True)
class ExportPlan:
    split: SplitPlan = field(default_factory=SplitPlan)
    # The dialect of the SQL in the SFT and DPO views.
    view_dialect: str = "sqlite"


@dataclass
class ExportSummary:
    out_dir: Path
    records: int
    skipped: int
    configs: dict[str, dict[str, int]]
    schemas: dict[str, int]


def export_run(run_dir: Path, out_dir: Path, plan: ExportPlan | None = None) -> ExportSummary:
    plan = plan or ExportPlan()
    loaded = read_run_records(run_dir)
    if not loaded.rows:
        raise ExportError(f"{run_dir / 'dataset.jsonl'} has no usable record")
    traces: dict[str, dict[str, Any]] = {}
    if (run_dir / REASONING_FILE).is_file():
        traces = {t["id"]: t for t in iterate_jsonl(run_dir / REASONING_FILE)}
    training = [training_record(row, traces.get(row["id"])) for row in loaded.rows]
    counts = Counter(r["base_schema"] for r in training)
    by_schema = assign_splits(counts, plan.split)
    split_of = {r["id"]: by_schema[r["base_schema"]] for r in training}
    provenance = [provenance_record(row) for row in loaded.rows]
    sft = [{"id": r["id"], "messages": render_messages(r, plan.view_dialect)} for r in training]
    tables: dict[str, tuple[pa.Schema, list[dict[str, Any]]]] = {
        "default": (columns.TRAINING, training),
        "provenance": (columns.PROVENANCE, provenance),
        "sft": (columns.SFT, sft),
    }
    pairs_path = run_dir / PREFERENCES_FILE
    if pairs_path.is_file():
        tables["dpo"] = (columns.DPO, dpo_rows(pairs_path, split_of))
    _reset(out_dir)
    configs = [
        _write_config(out_dir, name, schema, rows, split_of)
        for name, (schema, rows) in tables.items()
    ]
    facts = RunFacts(
        request=read_json(run_dir / "run.json"),
        summary=read_json(run_dir / "summary.json"),
        sense_counts=Counter(k for r in training for k in r["sense_findings"]),
        with_findings=sum(1 for r in training if r["sense_findings"]),
        records=len(training),
        skipped=len(loaded.skipped),
        reasoning_sources=Counter(r["reasoning_source"] for r in training if r["reasoning"]),
        pair_kinds=Counter(p["error_kind"] for p in tables["dpo"][1])
        if "dpo" in tables
        else Counter(),
        benchmarks=Counter(b for b in map(seed_benchmark, loaded.rows) if b),
        scrubbed=sum((Counter(r.get("scrubbed_values") or {}) for r in loaded.rows), Counter()),
    )
    write_card(out_dir, configs, facts)
    return ExportSummary(
        out_dir=out_dir,
        records=len(training),
        skipped=len(loaded.skipped),
        configs={c.name: dict(c.examples) for c in configs},
        schemas={s: sum(1 for v in by_schema.values() if v == s) for s in SPLITS},
    )


def dpo_rows(path: Path, split_of: dict[str, str]) -> list[dict[str, Any]]:
    """The DPO view: preference pairs of exported records (a pair of a record that is not in
    the export, e.g. from an older run, has no split and is left out)."""
    rows = []
    for pair in iterate_jsonl(path):
        if pair.get("id") in split_of:
            rows.append(
                {
                    "id": pair["id"],
                    "prompt": pair["prompt"],
                    "chosen": pair["chosen"],
                    "rejected": pair["rejected"],
                    "error_kind": pair.get("error_kind"),
                    "source": pair.get("source"),
                }
            )
    return rows


def _reset(out_dir: Path) -> None:
    """Replace an earlier export: stale split files would otherwise be read with the new ones."""
    for sub in ("data", "provenance", "sft", "dpo"):
        shutil.rmtree(out_dir / sub, ignore_errors=True)
    out_dir.mkdir(parents=True, exist_ok=True)


def _write_config(
    out_dir: Path,
    name: str,
    schema: pa.Schema,
    rows: list[dict[str, Any]],
    split_of: dict[str, str],
) -> ConfigFiles:
    folder = "data" if name == "default" else name
    config = ConfigFiles(name=name, schema=schema)
    for split in SPLITS:
        part = [row for row in rows if split_of[row["id"]] == split]
        relative = f"{folder}/{split}-00000-of-00001.parquet"
        path = out_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(part, schema=schema), path)
        config.files[split] = relative
        config.examples[split] = len(part)
        config.sizes[split] = path.stat().st_size
    return config


def describe_summary(summary: ExportSummary) -> str:
    default = summary.configs.get("default", {})
    splits = ", ".join(
        f"{s} {default.get(s, 0)} ({summary.schemas.get(s, 0)} schemas)" for s in SPLITS
    )
    extra = f"; {summary.skipped} unreadable lines skipped" if summary.skipped else ""
    return f"exported {summary.records} records → {summary.out_dir}: {splits}{extra}"


def summary_json(summary: ExportSummary) -> dict[str, Any]:
    return {
        "out": str(summary.out_dir),
        "records": summary.records,
        "skipped": summary.skipped,
        "configs": summary.configs,
        "schemas": summary.schemas,
    }
