"""The reviewed dataset: the run's records with the reviewers' decisions applied.

Rejected records are left out; every other record says whether a person reviewed it, who, and
keeps the pipeline's original question and SQL next to the edited ones. Flat columns of fixed
types, so `datasets.load_dataset("json", ...)` reads the file without a schema hint.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from proto.common import Engine
from shared.review.decide import original_version
from shared.review.items import ReviewItem
from shared.review.revalidate import record_dialect, render_dialects
from shared.review.store import Action, Decision

EXPORT_FILE = "reviewed.jsonl"
KEPT_FIELDS = (
    "id",
    "run_id",
    "domain",
    "sql_complexity",
    "sql_task_type",
    "prompt_style",
    "complexity",
    "sql_context",
    "generator",
)


def build_export_rows(
    items: Iterable[ReviewItem], decisions: Mapping[str, Decision]
) -> list[dict[str, Any]]:
    rows = []
    for item in items:
        decision = decisions.get(item.record_id)
        if decision is not None and decision.action is Action.REJECT:
            continue
        original = original_version(item)
        question = decision.question if decision else original.question
        explanation = decision.explanation if decision else None
        explanation = original.explanation if explanation is None else explanation
        sql = decision.sql if decision else original.sql
        edited = (question, sql, explanation) != (
            original.question,
            original.sql,
            original.explanation,
        )
        by_dialect = (
            render_dialects(sql, record_dialect(item.record))
            if edited
            else _stored_dialects(item.record)
        )
        row: dict[str, Any] = {name: _text(item.record.get(name)) for name in KEPT_FIELDS}
        row.update(
            sql_prompt=question,
            sql_explanation=explanation,
            sql=sql,
            sql_by_dialect={e.value: by_dialect.get(e, "") for e in Engine},
            evidence=_text(item.record.get("evidence")),
            reviewed=decision is not None,
            reviewer=decision.reviewer if decision else "",
            review_decision=decision.action.value if decision else "",
            reviewed_at=decision.decided_at.isoformat() if decision else "",
            review_cycle=decision.cycle if decision else 0,
            edited=edited,
            original_sql_prompt=original.question,
            original_sql=original.sql,
            original_sql_explanation=original.explanation,
        )
        rows.append(row)
    return rows


def write_export(rows: list[dict[str, Any]], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    tmp.replace(path)  # a reader never sees half a file
    return path


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


def _stored_dialects(record: Mapping[str, Any]) -> dict[Engine, str]:
    stored = record.get("sql_by_dialect")
    if not isinstance(stored, dict):
        return render_dialects(_text(record.get("sql")), record_dialect(record))
    return {e: _text(stored.get(e.value)) for e in Engine}
