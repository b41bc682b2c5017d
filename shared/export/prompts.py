"""The one prompt a trained model sees: schema, dialect instruction, evidence, question.

SENSE (seed 002, Fig. 2) uses the same four parts for SFT and preference data, so the SFT
messages, the DPO prompt and `preferences.jsonl` all render through here.
"""

from __future__ import annotations

from typing import Any

DIALECT_NAMES = {"sqlite": "SQLite", "postgres": "PostgreSQL", "mysql": "MySQL"}
SYSTEM = "You translate questions about a relational database into one correct SQL query."


def render_prompt(schema: str, question: str, evidence: str | None, dialect: str) -> str:
    parts = [schema.strip(), ""]
    if evidence:
        parts.append(f"-- External knowledge: {evidence.strip()}")
    name = DIALECT_NAMES.get(dialect, dialect)
    parts.append(f"-- Using valid {name}, answer the following question for the tables above.")
    parts.append(f"Question: {question.strip()}")
    return "\n".join(parts)


def render_answer(sql: str, reasoning: str | None) -> str:
    block = f"```sql\n{sql.strip()}\n```"
    return f"{reasoning.strip()}\n\n{block}" if reasoning else block


def sql_for(record: dict[str, Any], dialect: str) -> str:
    """The record's SQL for one dialect (its canonical SQL when no rendering was kept)."""
    by_dialect = record.get("sql_by_dialect") or {}
    return str(by_dialect.get(dialect) or record["sql"])


def render_messages(record: dict[str, Any], dialect: str) -> list[dict[str, str]]:
    """Chat messages for supervised fine-tuning (a training record as `training_record` built)."""
    prompt = render_prompt(record["schema"], record["question"], record.get("evidence"), dialect)
    answer = render_answer(sql_for(record, dialect), record.get("reasoning"))
    return [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": prompt},
        {"role": "assistant", "content": answer},
    ]
