"""A grouped SELECT never makes groups of one row by grouping a lone table by its own key
("count trips by trip" is 1 in every row): the template engine draws again instead."""

from __future__ import annotations

import sqlite3

import sqlglot
from sqlglot import exp

from proto.common import TaskType
from shared.errors import GenerationError
from shared.generation.template.engine import TemplateEngine
from tests.unit.template.helpers import random_blueprints


def primary_keys(schema_ddl: str) -> dict[str, set[str]]:
    conn = sqlite3.connect(":memory:")
    conn.executescript(schema_ddl)
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return {
        t: {row[1] for row in conn.execute(f'PRAGMA table_info("{t}")') if row[5]} for t in tables
    }


def groups_a_lone_table_by_its_key(sql: str, keys: dict[str, set[str]]) -> bool:
    for select in sqlglot.parse_one(sql, read="sqlite").find_all(exp.Select):
        group, source = select.args.get("group"), select.args.get("from")
        if group is None or source is None or select.args.get("joins"):
            continue
        if isinstance(source.this, exp.Table):
            grouped = {c.name for c in group.find_all(exp.Column)}
            if keys.get(source.this.name, set()) & grouped:
                return True
    return False


def test_the_engine_does_not_group_a_lone_table_by_its_key() -> None:
    engine, checked = TemplateEngine(), 0
    for i, bp in enumerate(random_blueprints(300, seed=23)):
        if bp.task_type is TaskType.MANIPULATION:
            continue
        try:
            draft = engine.generate(bp, seed=i)
        except GenerationError:
            continue
        keys = primary_keys(draft.schema_ddl)
        assert not groups_a_lone_table_by_its_key(draft.sql, keys), draft.sql
        checked += 1
    assert checked >= 150
