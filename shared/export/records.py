"""A run's dataset line split in two: the slim training record and its provenance, by id."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared.export.columns import ENGINES

DATASET_FILE = "dataset.jsonl"


class ExportError(ValueError):
    """The run folder cannot be exported (missing dataset, no usable record)."""


@dataclass(frozen=True)
class SkippedLine:
    line: int
    reason: str


@dataclass
class RunRecords:
    """The run's accepted records as written by the sink, and lines that could not be read."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[SkippedLine] = field(default_factory=list)


def read_run_records(run_dir: Path) -> RunRecords:
    path = run_dir / DATASET_FILE
    if not path.is_file():
        raise ExportError(f"{run_dir} has no {DATASET_FILE}: is it a finished run folder?")
    records = RunRecords()
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                records.skipped.append(SkippedLine(number, f"not JSON: {exc.msg}"))
                continue
            problem = _find_problem(row)
            if problem:
                records.skipped.append(SkippedLine(number, problem))
            else:
                records.rows.append(row)
    return records


def iterate_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def _find_problem(row: Any) -> str | None:
    if not isinstance(row, dict):
        return "not an object"
    for key in ("id", "sql", "sql_prompt", "sql_context"):
        if not isinstance(row.get(key), str) or not row[key].strip():
            return f"missing {key}"
    return None


def base_schema_of(row: dict[str, Any]) -> str:
    """The database a record belongs to for splitting: the planned schema id, else the domain
    (the template engine has one catalogue schema per domain; a seed run names the seed's
    database as the domain). Per-sample variants (table subsets, rows) share it."""
    properties = row.get("properties") or {}
    return str(properties.get("schema_id") or row.get("domain") or "unknown")


def gold_results(row: dict[str, Any]) -> dict[str, dict[str, Any] | None]:
    """Digest, row count and order flag of the gold SQL on each engine that ran it."""
    gold: dict[str, dict[str, Any] | None] = dict.fromkeys(ENGINES)
    validation = row.get("validation") or {}
    for check in validation.get("checks") or []:
        if check.get("ok") and check.get("level") == "full" and check.get("digest"):
            gold[check["engine"]] = {
                "row_count": check.get("row_count"),
                "digest": check["digest"],
                "ordered": bool(check.get("ordered")),
            }
    return gold


def sense_verdict(row: dict[str, Any]) -> Any:
    """The sense stage's verdict: at validation.sense (where the sense stage puts it), else a
    top-level `sense` field."""
    validation = row.get("validation")
    nested = validation.get("sense") if isinstance(validation, dict) else None
    return nested or row.get("sense")


def sense_kinds(row: dict[str, Any]) -> list[str]:
    """Checks of the sense findings on the record (not_applicable ones skipped)."""
    sense = sense_verdict(row)
    findings = sense.get("findings") if isinstance(sense, dict) else sense
    if not isinstance(findings, list):
        return []
    kinds = []
    for finding in findings:
        if isinstance(finding, dict):
            if finding.get("severity") == "not_applicable":
                continue
            name = finding.get("check") or finding.get("kind") or finding.get("code")
            kinds.append(str(name or "finding"))
        elif isinstance(finding, str):
            kinds.append(finding)
    return kinds


def training_record(row: dict[str, Any], trace: dict[str, Any] | None = None) -> dict[str, Any]:
    """`trace`: the record's line of reasoning.jsonl, used when the draft has no reasoning."""
    by_dialect = row.get("sql_by_dialect") or {}
    reasoning, source = row.get("reasoning") or None, "generator" if row.get("reasoning") else None
    if reasoning is None and trace and trace.get("reasoning"):
        reasoning, source = trace["reasoning"], trace.get("source")
    return {
        "id": row["id"],
        "base_schema": base_schema_of(row),
        "domain": row.get("domain"),
        "schema": row["sql_context"],
        "schema_dialect": row.get("schema_dialect") or "sqlite",
        "question": row["sql_prompt"],
        "evidence": row.get("evidence") or None,
        "sql": row["sql"],
        "sql_dialect": row.get("sql_dialect") or "sqlite",
        "sql_by_dialect": {e: by_dialect.get(e) for e in ENGINES},
        "explanation": row.get("sql_explanation"),
        "reasoning": reasoning,
        "reasoning_source": source,
        "complexity": row.get("complexity"),
        "sql_complexity": row.get("sql_complexity"),
        "task_type": row.get("sql_task_type"),
        "prompt_style": row.get("prompt_style"),
        "gold": gold_results(row),
        "sense_findings": sense_kinds(row),
    }


def _json_or_none(value: Any) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True, ensure_ascii=False)


def provenance_record(row: dict[str, Any]) -> dict[str, Any]:
    cost = row.get("cost") or {}
    return {
        "id": row["id"],
        "run_id": row.get("run_id"),
        "generator": row.get("generator"),
        "attempts": row.get("attempts"),
        "properties": _json_or_none(row.get("properties")),
        "validation": _json_or_none(row.get("validation")),
        "review": _json_or_none(row.get("review")),
        "dedup": _json_or_none(row.get("dedup")),
        "sense": _json_or_none(sense_verdict(row)),
        "history": _json_or_none(row.get("history")),
        "value_sources": _json_or_none(row.get("value_sources")),
        "scrubbed_values": _json_or_none(row.get("scrubbed_values")),
        "cost": {
            "calls": int(cost.get("calls", 0)),
            "input_tokens": int(cost.get("input_tokens", 0)),
            "output_tokens": int(cost.get("output_tokens", 0)),
            "cache_creation_input_tokens": int(cost.get("cache_creation_input_tokens", 0)),
            "cache_read_input_tokens": int(cost.get("cache_read_input_tokens", 0)),
            "usd": float(cost.get("usd", 0.0)),
        },
    }


def seed_benchmark(row: dict[str, Any]) -> str | None:
    """The public evaluation split a record's seed came from (contamination), or None."""
    blueprint = row.get("properties") or {}
    properties = blueprint.get("properties") if isinstance(blueprint, dict) else None
    found = properties.get("seed_benchmark") if isinstance(properties, dict) else None
    return str(found) if found else None
