"""The dataset record: Gretel-compatible field names where they overlap, plus ours."""

from __future__ import annotations

import re
from typing import Any

from proto.sample import Draft, SampleEnvelope, TableRows


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


_QUOTED = re.compile(r'"((?:[^"]|"")+)"')


def quoted_names(ddl: str) -> set[str]:
    """Identifiers the schema's DDL double-quotes (a seed schema's mixed-case or reserved
    names): the INSERTs must spell them the same way to reach the same columns."""
    return {match.replace('""', '"') for match in _QUOTED.findall(ddl)}


def _name(name: str, quoted: set[str]) -> str:
    return '"' + name.replace('"', '""') + '"' if name in quoted else name


def render_inserts(rows: list[TableRows], ddl: str = "") -> str:
    quoted = quoted_names(ddl)
    lines = []
    for table in rows:
        if not table.values:
            continue
        values = ", ".join("(" + ", ".join(_literal(v) for v in row) + ")" for row in table.values)
        columns = ", ".join(_name(c, quoted) for c in table.columns)
        lines.append(f"INSERT INTO {_name(table.table, quoted)} ({columns}) VALUES {values};")
    return "\n".join(lines)


def sql_context(draft: Draft) -> str:
    """DDL followed by INSERTs: the `sql_context` field of Gretel's rows."""
    inserts = render_inserts(draft.rows, draft.schema_ddl)
    return draft.schema_ddl.strip() + ("\n" + inserts if inserts else "")


def dataset_record(envelope: SampleEnvelope) -> dict[str, Any]:
    draft = envelope.draft
    assert draft is not None, "accepted samples always carry a draft"
    validation = envelope.validation
    return {
        "id": envelope.sample_id,
        "run_id": envelope.run_id,
        "domain": draft.domain,
        "sql_complexity": draft.sql_complexity,
        "sql_task_type": draft.task_type.value,
        "sql_prompt": draft.question,
        "sql_context": sql_context(draft),
        "sql": draft.sql,
        "sql_explanation": draft.explanation,
        "evidence": draft.evidence,
        "sql_by_dialect": {e.value: s for e, s in draft.sql_by_dialect.items()},
        # sql_context stays Gretel's form in the schema's own dialect; this is per engine.
        "sql_context_by_dialect": {e.value: s for e, s in draft.sql_context_by_dialect.items()},
        "prompt_style": draft.prompt_style.value,
        "complexity": draft.complexity.value,
        "properties": envelope.blueprint.model_dump(mode="json", exclude={"seed_sql"}),
        "validation": validation.model_dump(mode="json") if validation else None,
        "review": envelope.review.model_dump(mode="json") if envelope.review else None,
        "dedup": envelope.dedup.model_dump(mode="json") if envelope.dedup else None,
        "attempts": envelope.attempt,
        "history": [
            {
                "stage": h.stage.value,
                "outcome": h.outcome.value,
                "attempt": h.attempt,
                "at": h.at.isoformat(),
                # the sense checks that failed this attempt (docs/sense.md), when any did
                **({"checks": [c.value for c in h.checks]} if h.checks else {}),
            }
            for h in envelope.history
        ],
        "cost": envelope.cost.model_dump(mode="json"),
        "generator": draft.engine,
        "reasoning": draft.reasoning,
        # Where each fixture column's values came from, and what the privacy scrub replaced.
        "value_sources": {k: [s.value for s in v] for k, v in draft.value_sources.items()},
        "scrubbed_values": dict(draft.scrubbed_values),
    }


def rejected_record(envelope: SampleEnvelope) -> dict[str, Any]:
    """A rejected or duplicate sample explains itself: the full envelope, history included."""
    last = envelope.history[-1] if envelope.history else None
    return {
        "id": envelope.sample_id,
        "run_id": envelope.run_id,
        "outcome": last.outcome.value if last else None,
        "reason": last.reason if last else None,
        "error_class": last.error_class.value if last and last.error_class else None,
        "envelope": envelope.model_dump(mode="json"),
    }
