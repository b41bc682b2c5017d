"""TemplateEngine on blueprints that carry a seed schema (EXPAND mode): it writes on the seed's
tables with the seed's names, is deterministic, repairs on the same instance, honours planned
tables, never reads its own synthetic keys, and runs on SQLite through the validator."""

from __future__ import annotations

import re

import sqlglot
from sqlglot import exp

from proto.common import Complexity, JoinKind, PromptStyle, SeedMode, SqlFeature, TaskType
from proto.sample import Blueprint, ErrorClass, Feedback
from shared.engines.validator import Validator
from shared.errors import GenerationError
from shared.generation.template.engine import TemplateEngine
from shared.generation.template.seed.from_ddl import SYNTHETIC_KEY
from shared.generation.template.seed.seed_schema import build_seed_schema, seed_domain
from tests.unit.template.seed_runs import Tally, validate_all

SEED_DDL = """
CREATE TABLE "Customers" ("CustomerID" INTEGER PRIMARY KEY, "CompanyName" VARCHAR(40),
  "City" VARCHAR(30), "Country" VARCHAR(30), "Segment" VARCHAR(20));
CREATE TABLE "Orders" ("OrderID" INTEGER PRIMARY KEY, "CustomerID" INTEGER
  REFERENCES "Customers" ("CustomerID"), "OrderDate" TIMESTAMP, "Freight" NUMERIC(10,2),
  "ShipVia" INTEGER, "Status" VARCHAR(12));
CREATE TABLE order_lines (order_id INTEGER REFERENCES "Orders"("OrderID"), product TEXT,
  quantity INTEGER, "order" INTEGER);
"""
SEED_SQL = "SELECT * FROM \"Orders\" o WHERE o.\"Status\" IN ('Shipped', 'Pending')"


def _blueprint(**update: object) -> Blueprint:
    base = Blueprint(
        domain="seed_northwind",
        task_type=TaskType.RETRIEVAL,
        complexity=Complexity.MEDIUM,
        prompt_style=PromptStyle.DIRECT,
        num_tables=2,
        join_kind=JoinKind.INNER,
        features=[SqlFeature.ORDER_BY],
        seed_schema=SEED_DDL,
        seed_sql=SEED_SQL,
        seed_mode=SeedMode.EXPAND,
    )
    return base.model_copy(update=update)


def _tables(sql: str) -> set[str]:
    """Base tables a statement reads or writes (CTE names left out)."""
    tree = sqlglot.parse_one(sql, read="sqlite")
    ctes = {cte.alias for cte in tree.find_all(exp.CTE)}
    return {t.name for t in tree.find_all(exp.Table)} - ctes


def _variety() -> list[Blueprint]:
    out = []
    for i, task in enumerate([TaskType.RETRIEVAL, TaskType.ANALYTICS, TaskType.MANIPULATION] * 8):
        n = 1 + i % 3
        out.append(
            _blueprint(
                task_type=task,
                num_tables=n,
                join_kind=None if n == 1 else [JoinKind.INNER, JoinKind.LEFT][i % 2],
                features=[[], [SqlFeature.GROUP_BY], [SqlFeature.LIMIT], [SqlFeature.CTE]][i % 4],
                prompt_style=list(PromptStyle)[i % len(PromptStyle)],
            )
        )
    return out


def test_drafts_use_the_seed_schema_and_its_names() -> None:
    engine = TemplateEngine()
    drafts = [engine.generate(bp, seed=i) for i, bp in enumerate(_variety())]
    seed_tables = {"Customers", "Orders", "order_lines"}
    for draft in drafts:
        assert draft.domain == "seed_northwind"
        assert _tables(draft.sql) <= seed_tables
        assert SYNTHETIC_KEY not in draft.sql and SYNTHETIC_KEY not in draft.schema_ddl
        assert re.search(r'CREATE TABLE "Orders" \("OrderID" INTEGER PRIMARY KEY', draft.schema_ddl)
        assert {r.table for r in draft.rows} == seed_tables
    # Quoted mixed-case names stay quoted in the SQL (PostgreSQL keeps their case).
    assert any('"Orders"' in d.sql for d in drafts)
    assert not any(re.search(r"(?<![\"\w])Orders\b(?!\")", d.sql) for d in drafts)


def test_generation_is_deterministic_and_seeds_vary_it() -> None:
    bp = _blueprint()
    first = [TemplateEngine().generate(bp, seed=s).model_dump() for s in range(6)]
    again = [TemplateEngine().generate(bp, seed=s).model_dump() for s in range(6)]
    assert first == again
    assert len({d["sql"] for d in first}) >= 4


def test_schema_id_names_the_seed_instance() -> None:
    engine = TemplateEngine()
    domain = seed_domain(_blueprint())
    assert re.fullmatch(r"seed-[0-9a-f]{12}", domain.name)
    for variant in range(engine.schema_variants):
        bp = _blueprint(schema_id=f"{domain.name}#{variant}")
        draft = engine.generate(bp, seed=3)
        expected = build_seed_schema(domain, variant)
        assert [r.values for r in draft.rows] == [r.values for r in expected.rows]
        assert draft.schema_ddl == expected.ddl


def test_planned_tables_are_honoured_case_insensitively() -> None:
    engine = TemplateEngine()
    for i in range(8):
        draft = engine.generate(_blueprint(num_tables=1, join_kind=None, tables=["orders"]), seed=i)
        assert _tables(draft.sql) == {"Orders"}
    # A table the seed does not have is ignored rather than failing every attempt.
    draft = engine.generate(_blueprint(tables=["no_such_table"]), seed=1)
    assert _tables(draft.sql) <= {"Customers", "Orders", "order_lines"}


def test_repair_rebuilds_on_the_same_instance() -> None:
    engine = TemplateEngine()
    bp = _blueprint(task_type=TaskType.ANALYTICS, features=[SqlFeature.GROUP_BY])
    draft = engine.generate(bp, seed=5)
    wording = engine.repair(
        bp, draft, [Feedback(error_class=ErrorClass.REVIEW, message="vague")], seed=5
    )
    assert wording.sql == draft.sql and wording.question != draft.question
    fixed = engine.repair(
        bp, draft, [Feedback(error_class=ErrorClass.EMPTY_RESULT, message="no rows")], seed=5
    )
    assert fixed.sql != draft.sql
    assert [r.values for r in fixed.rows] == [r.values for r in draft.rows]
    # A fresh engine (no memory of the draft) finds the instance from the draft's rows.
    again = TemplateEngine().repair(
        bp, draft, [Feedback(error_class=ErrorClass.QUERY, message="boom")], seed=9
    )
    assert [r.values for r in again.rows] == [r.values for r in draft.rows]


def test_synthetic_keys_never_reach_sql_and_text_keys_get_no_insert() -> None:
    ddl = """
    CREATE TABLE Song (Title TEXT(30), Genre TEXT(10), Duration REAL);
    CREATE TABLE airports (code TEXT PRIMARY KEY, city TEXT, country TEXT);
    CREATE TABLE flights (id INTEGER PRIMARY KEY, origin TEXT REFERENCES airports(code),
      fare REAL);
    """
    engine = TemplateEngine()
    made = 0
    for i in range(90):
        task = [TaskType.RETRIEVAL, TaskType.ANALYTICS, TaskType.MANIPULATION][i % 3]
        bp = _blueprint(
            seed_schema=ddl,
            seed_sql=None,
            task_type=task,
            num_tables=1,
            join_kind=None,
            features=[[SqlFeature.ORDER_BY], [SqlFeature.WINDOW], []][i % 3],
        )
        try:
            draft = engine.generate(bp, seed=i)
        except GenerationError:
            continue
        made += 1
        assert SYNTHETIC_KEY not in draft.sql
        tree = sqlglot.parse_one(draft.sql, read="sqlite")
        if isinstance(tree, exp.Insert):
            assert tree.this.this.name != "airports"
    assert made >= 70


def test_unusable_seed_schema_is_a_generation_error() -> None:
    engine = TemplateEngine()
    for ddl in ("", "CREATE VIEW v AS SELECT 1;", "DROP TABLE x;"):
        try:
            engine.generate(_blueprint(seed_schema=ddl or " "), seed=1)
        except GenerationError as exc:
            assert "seed schema" in str(exc)
        else:
            raise AssertionError(f"{ddl!r} should not generate")
    too_many = _blueprint(num_tables=4)
    try:
        engine.generate(too_many, seed=1)
    except GenerationError as exc:
        assert "4 were planned" in str(exc)
    else:
        raise AssertionError("a 3-table seed cannot take 4 tables")


async def test_drafts_validate_on_sqlite(sqlite_validator: Validator) -> None:
    engine = TemplateEngine()
    tally = Tally()
    drafts = [(bp, engine.generate(bp, seed=i)) for i, bp in enumerate(_variety())]
    tally.planned = len(drafts)
    await validate_all(sqlite_validator, drafts, tally)
    assert tally.outcomes["valid"] == len(drafts), tally.problems[:3]
