"""A grouped SELECT never makes groups of one row by grouping a lone table by its own key
("count trips by trip" is 1 in every row): the template engine groups by a column whose values
repeat, or a band, instead.

sqlglot names a SELECT's FROM `from_` (it was `from` in older releases): the first version of
this test read `from`, found nothing, and passed on every draft; `_source` reads both, and the
test asserts it saw grouped single-table drafts at all."""

from __future__ import annotations

import sqlite3

import pytest
import sqlglot
from sqlglot import exp

from proto.common import TaskType
from proto.sample import Blueprint
from shared.errors import GenerationError
from shared.generation.template.engine import TemplateEngine
from shared.spec.sampler import BlueprintSampler
from shared.spec.validate import default_spec
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
        group, source = select.args.get("group"), _source(select)
        if group is None or source is None or select.args.get("joins"):
            continue
        if isinstance(source.this, exp.Table):
            grouped = {c.name for c in group.find_all(exp.Column)}
            if keys.get(source.this.name, set()) & grouped:
                return True
    return False


def _source(select: exp.Select) -> exp.Expression | None:
    found = select.args.get("from_") or select.args.get("from")
    return found if isinstance(found, exp.Expression) else None


def test_the_detector_sees_a_lone_table_grouped_by_its_key() -> None:
    keys = {"trips": {"id"}}
    assert groups_a_lone_table_by_its_key(
        "SELECT t.code, COUNT(*) FROM trips AS t GROUP BY t.id, t.code", keys
    )
    assert not groups_a_lone_table_by_its_key(
        "SELECT t.city, COUNT(*) FROM trips AS t GROUP BY t.city", keys
    )


def _blueprints(source: str) -> list[Blueprint]:
    if source == "default spec":
        # The real path: the lenient last attempts of single-table plans on subjects with no
        # category column grouped them by their own key (2 in 30 records of a default run).
        return BlueprintSampler(default_spec(), seed=1).draw_many(200)
    return random_blueprints(300, seed=23)


@pytest.mark.parametrize("source", ["default spec", "random"])
def test_the_engine_does_not_group_a_lone_table_by_its_key(source: str) -> None:
    engine, checked, lone = TemplateEngine(), 0, 0
    for i, bp in enumerate(_blueprints(source)):
        try:
            draft = engine.generate(bp, seed=i)
        except GenerationError:
            continue
        if bp.task_type is TaskType.MANIPULATION:
            continue  # DML: test_dml_sense.py
        keys = primary_keys(draft.schema_ddl)
        assert not groups_a_lone_table_by_its_key(draft.sql, keys), draft.sql
        checked += 1
        lone += _groups_a_lone_table(draft.sql)
    assert checked >= 120
    assert lone >= 8  # the check saw grouped single-table drafts at all


def _groups_a_lone_table(sql: str) -> bool:
    return any(
        s.args.get("group") is not None
        and not s.args.get("joins")
        and isinstance(getattr(_source(s), "this", None), exp.Table)
        for s in sqlglot.parse_one(sql, read="sqlite").find_all(exp.Select)
    )
