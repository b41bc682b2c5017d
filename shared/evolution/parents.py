"""An accepted record (a line of a run's dataset.jsonl) as the parent of an evolution: its draft
and blueprint rebuilt, the rows parsed back from the INSERTs of its `sql_context`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import sqlglot
from pydantic import ValidationError
from sqlglot import exp

from proto.common import Engine, PromptStyle, TaskType
from proto.sample import Blueprint, Draft, Scalar, TableRows
from shared.pipeline.records import quoted_names


class Skip(StrEnum):
    """Why a record is not evolved offline (counted, never silent)."""

    # DML: an operator would change what is written, and the question is about side effects.
    MANIPULATION = "manipulation"
    # Mixed-case or reserved names the DDL quotes: the operators write bare lowercase names.
    QUOTED_NAMES = "quoted_names"
    # The data checks and the trial run need the rows; a schema without rows cannot witness.
    NO_ROWS = "no_rows"
    MALFORMED = "malformed"


@dataclass(frozen=True)
class Parent:
    id: str
    draft: Draft
    blueprint: Blueprint


def split_context(context: str) -> tuple[str, tuple[TableRows, ...]]:
    """DDL and rows of a `sql_context` written by `shared.pipeline.records.sql_context`."""
    lines = context.splitlines()
    first = next((i for i, line in enumerate(lines) if line.startswith("INSERT INTO ")), len(lines))
    ddl = "\n".join(lines[:first])
    rows = tuple(_table_rows(line) for line in lines[first:] if line.strip())
    return ddl, rows


def _scalar(node: exp.Expr) -> Scalar:
    if isinstance(node, exp.Null):
        return None
    if isinstance(node, exp.Neg):
        inner = _scalar(node.this)
        return -inner if isinstance(inner, int | float) else inner
    if isinstance(node, exp.Literal):
        if node.is_string:
            return str(node.this)
        text = str(node.this)
        return int(text) if text.lstrip("-").isdigit() else float(text)
    raise ValueError(f"not a literal: {node.sql()}")


def _table_rows(line: str) -> TableRows:
    insert = sqlglot.parse_one(line, read="sqlite")
    if not isinstance(insert, exp.Insert) or not isinstance(insert.this, exp.Schema):
        raise ValueError("not an INSERT with a column list")
    target = insert.this
    values = insert.expression
    if not isinstance(values, exp.Values):
        raise ValueError("not an INSERT ... VALUES")
    return TableRows(
        table=target.this.name,
        columns=[c.name for c in target.expressions],
        values=[[_scalar(v) for v in row.expressions] for row in values.expressions],
    )


def parent_from_record(record: Mapping[str, Any]) -> Parent | Skip:
    try:
        context = str(record["sql_context"])
        if record.get("sql_task_type") == TaskType.MANIPULATION.value:
            return Skip.MANIPULATION
        if quoted_names(context):
            return Skip.QUOTED_NAMES
        ddl, rows = split_context(context)
        if not rows:
            return Skip.NO_ROWS
        properties = dict(record.get("properties") or {})
        blueprint = Blueprint.model_validate(properties)
        draft = Draft(
            domain=str(record["domain"]),
            schema_ddl=ddl,
            rows=list(rows),
            sql=str(record["sql"]),
            sql_dialect=Engine.SQLITE,
            question=str(record["sql_prompt"]),
            prompt_style=PromptStyle(record.get("prompt_style") or blueprint.prompt_style),
            explanation=str(record.get("sql_explanation") or ""),
            task_type=TaskType(record["sql_task_type"]),
            complexity=blueprint.complexity,
            sql_complexity=str(record.get("sql_complexity") or blueprint.sql_complexity),
            evidence=str(record.get("evidence") or ""),
            engine=str(record.get("generator") or "template"),
        )
    except (KeyError, ValueError, ValidationError, sqlglot.errors.SqlglotError):
        return Skip.MALFORMED
    return Parent(id=str(record["id"]), draft=draft, blueprint=blueprint)
