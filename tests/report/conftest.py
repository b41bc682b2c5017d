"""Hand-made datasets and a fake run folder for the report tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from proto.common import (
    Complexity,
    Engine,
    Level,
    Outcome,
    PromptStyle,
    Stage,
    TaskType,
)
from proto.sample import (
    Blueprint,
    DedupVerdict,
    Draft,
    EngineCheck,
    ErrorClass,
    SampleEnvelope,
    TokenCost,
    Validation,
)
from shared.pipeline.records import dataset_record, rejected_record

# Two databases: A (three tables, a primary and a foreign key) and B (one table, no keys).
SCHEMA_A = (
    "CREATE TABLE t1 (a INT PRIMARY KEY, b INT);\n"
    "CREATE TABLE t2 (a INT REFERENCES t1 (a), c INT);\n"
    "CREATE TABLE t3 (x INT);"
)
SCHEMA_B = "CREATE TABLE t1 (a INT, b INT);"

# (sql, schema, question). Counts per query are worked out by hand in test_metrics.py.
SMALL_ROWS: list[tuple[str, str | None, str]] = [
    ("SELECT a FROM t1", SCHEMA_B, "list every a"),
    ("SELECT COUNT(*) FROM t1 JOIN t2 ON t1.a = t2.a", SCHEMA_A, "how many matching rows"),
    (
        "SELECT t1.a FROM t1 LEFT JOIN t2 ON t1.a = t2.a CROSS JOIN t3",
        SCHEMA_A,
        "a of t1 with t2 and t3",
    ),
    ("SELECT a FROM t1 WHERE a IN (SELECT a FROM t2)", SCHEMA_A, "a values also in t2"),
    (
        "WITH x AS (SELECT a, SUM(b) OVER (PARTITION BY a) FROM t1) "
        "SELECT a FROM x UNION SELECT a FROM t2",
        SCHEMA_A,
        "running sums of b",
    ),
    ("this is not sql", None, "broken"),
    ("SELECT b FROM t1", SCHEMA_B, "list every b"),
]


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


@pytest.fixture
def small_dataset(tmp_path: Path) -> Path:
    rows = []
    for number, (sql, schema, question) in enumerate(SMALL_ROWS):
        row: dict[str, Any] = {"id": str(number), "question": question, "sql": sql}
        if schema is not None:
            row["schema_ddl"] = schema
        rows.append(row)
    return write_jsonl(tmp_path / "small.jsonl", rows)


def make_envelope(number: int, *, attempt: int = 1, usd: float = 0.01) -> SampleEnvelope:
    """A sample over database A in the shape the pipeline writes (a real envelope)."""
    sql = "SELECT t1.a, t2.c FROM t1 JOIN t2 ON t1.a = t2.a"
    blueprint = Blueprint(
        domain="retail",
        task_type=TaskType.RETRIEVAL,
        complexity=Complexity.MEDIUM,
        prompt_style=PromptStyle.TERSE,
        num_tables=2,
        properties={"domain": "retail", "complexity": "medium", "num_tables": 2},
    )
    draft = Draft(
        domain="retail",
        schema_ddl=SCHEMA_A,
        sql=sql,
        sql_by_dialect={engine: sql for engine in Engine},
        question=f"t1 a and t2 c, number {number}",
        prompt_style=PromptStyle.TERSE,
        explanation="joins t1 and t2",
        task_type=TaskType.RETRIEVAL,
        complexity=Complexity.MEDIUM,
    )
    checks = [EngineCheck(engine=e, level=Level.FULL, ok=True, row_count=2) for e in Engine]
    return SampleEnvelope(
        run_id="run-test",
        sample_id=f"run-test-{number:03d}",
        attempt=attempt,
        blueprint=blueprint,
        draft=draft,
        validation=Validation(checks=checks, non_empty=True, results_agree=True),
        cost=TokenCost(calls=1, input_tokens=100, output_tokens=50, usd=usd),
    )


def record_history(envelope: SampleEnvelope, steps: list[tuple[Stage, Outcome, int]]) -> None:
    for stage, outcome, attempt in steps:
        envelope.attempt = attempt
        error = ErrorClass.QUERY if outcome in (Outcome.FAILED, Outcome.REJECTED) else None
        envelope.record(
            stage, outcome, reason=f"{outcome.value} at {stage.value}", error_class=error
        )


HAPPY = [
    (Stage.PLANNER, Outcome.PLANNED, 1),
    (Stage.GENERATOR, Outcome.DRAFTED, 1),
    (Stage.VALIDATOR, Outcome.CHECKED, 1),
    (Stage.REVISER, Outcome.REVIEWED, 1),
    (Stage.DEDUP, Outcome.ACCEPTED, 1),
]
REPAIRED_ONCE = [
    (Stage.PLANNER, Outcome.PLANNED, 1),
    (Stage.GENERATOR, Outcome.DRAFTED, 1),
    (Stage.VALIDATOR, Outcome.FAILED, 1),
    (Stage.REVISER, Outcome.REPAIRED, 2),
    (Stage.VALIDATOR, Outcome.CHECKED, 2),
    (Stage.REVISER, Outcome.REVIEWED, 2),
    (Stage.DEDUP, Outcome.ACCEPTED, 2),
]
# Failed validation three times: rejected before ever being checked.
REJECTED_INVALID = [
    (Stage.PLANNER, Outcome.PLANNED, 1),
    (Stage.GENERATOR, Outcome.DRAFTED, 1),
    (Stage.VALIDATOR, Outcome.FAILED, 1),
    (Stage.REVISER, Outcome.REPAIRED, 2),
    (Stage.VALIDATOR, Outcome.FAILED, 2),
    (Stage.REVISER, Outcome.REPAIRED, 3),
    (Stage.VALIDATOR, Outcome.FAILED, 3),
    (Stage.REVISER, Outcome.REJECTED, 3),
]
# Checked, then failed review for good: rejected after the check.
REJECTED_REVIEW = [
    (Stage.PLANNER, Outcome.PLANNED, 1),
    (Stage.GENERATOR, Outcome.DRAFTED, 1),
    (Stage.VALIDATOR, Outcome.CHECKED, 1),
    (Stage.REVISER, Outcome.REJECTED, 1),
]
DUPLICATED = [
    (Stage.PLANNER, Outcome.PLANNED, 1),
    (Stage.GENERATOR, Outcome.DRAFTED, 1),
    (Stage.VALIDATOR, Outcome.CHECKED, 1),
    (Stage.REVISER, Outcome.REVIEWED, 1),
    (Stage.DEDUP, Outcome.DUPLICATE, 1),
]


@pytest.fixture
def run_folder(tmp_path: Path) -> Path:
    """A finished run: 3 accepted (one repaired once), 2 rejected, 1 duplicate, 1 unfinished.

    Seven samples were planned; every sample cost 0.01 USD.
    """
    out = tmp_path / "run"
    out.mkdir()
    accepted = []
    for number, steps in enumerate([HAPPY, REPAIRED_ONCE, HAPPY]):
        envelope = make_envelope(number)
        record_history(envelope, steps)
        accepted.append(dataset_record(envelope))
    rejected = []
    for number, steps in ((3, REJECTED_INVALID), (4, REJECTED_REVIEW)):
        envelope = make_envelope(number)
        record_history(envelope, steps)
        rejected.append(rejected_record(envelope))
    duplicate = make_envelope(5)
    record_history(duplicate, DUPLICATED)
    duplicate.dedup = DedupVerdict(duplicate=True, layer="exact", nearest_sample_id="x")
    write_jsonl(out / "dataset.jsonl", accepted)
    write_jsonl(out / "rejected.jsonl", rejected)
    write_jsonl(out / "duplicates.jsonl", [rejected_record(duplicate)])
    summary = {
        "run_id": "run-test",
        "target": 3,
        "planned": 7,
        "accepted": 3,
        "duplicate": 1,
        "rejected": 2,
        "stages": {"planner.planned": 7, "validator.failed": 4},
        "rejection_reasons": {"query_error": 2},
        "cost": {"calls": 6, "input_tokens": 600, "output_tokens": 300, "usd": 0.06},
        "elapsed_s": 3.0,
    }
    (out / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    (out / "run.json").write_text(json.dumps({"run_id": "run-test", "spec": {}}))
    return out
