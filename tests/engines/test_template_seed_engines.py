"""Drafts on real seed schemas through the validator on SQLite, PostgreSQL and MariaDB: they
run everywhere, return rows, and the engines agree. The fixture is the draft's own DDL and rows,
rendered per engine by `shared.engines` (quoted and mixed-case seed names included)."""

from __future__ import annotations

import pytest

from proto.common import Engine
from shared.engines.registry import close_engines, open_engines
from shared.engines.settings import EngineSettings
from shared.engines.validator import Validator
from shared.errors import GenerationError
from shared.generation.template.engine import TemplateEngine
from shared.generation.template.seed.from_ddl import domain_from_ddl
from shared.runtime.local import LocalStack
from tests.unit.template.seed_data import (
    Seed,
    bird_seeds,
    gretel_seeds,
    querylog_seeds,
    spider_seeds,
    table_count,
)
from tests.unit.template.seed_runs import Tally, generate_all, seeded_blueprints, validate_all

pytestmark = pytest.mark.engines

RESERVED_DDL = """
CREATE TABLE "select" ("from" INTEGER PRIMARY KEY, "where" VARCHAR(40), "order" REAL,
  "Rank" INTEGER, "Key" TEXT, "date" DATE, "User Name" TEXT);
CREATE TABLE "Group" ("ID" INT PRIMARY KEY, "select_from" INT REFERENCES "select"("from"),
  "limit" TEXT, Amount NUMERIC(8,2), CamelCase TEXT, count INTEGER, type TEXT, "Value" REAL,
  level TEXT, Year INTEGER);
"""


def _sample() -> list[Seed]:
    """A smaller mixed sample: Gretel multi-table contexts, Spider, BIRD, query logs, and a
    schema made of reserved words and quoted mixed-case names."""
    gretel = [s for s in gretel_seeds() if table_count(s.ddl) >= 2][:30]
    spider = list(spider_seeds())[::8]
    reserved = Seed("hostile", "reserved_words", RESERVED_DDL)
    out = []
    for seed in [*gretel, *spider, *bird_seeds(), *querylog_seeds(), reserved]:
        try:
            domain_from_ddl(seed.ddl, name=f"seed_{seed.name}", example_sql=seed.examples)
        except GenerationError:
            continue
        out.append(seed)
    return out


async def test_seed_drafts_agree_on_three_engines(stack: LocalStack) -> None:
    settings = EngineSettings.model_validate(
        {
            "postgres_dsn": stack.dsn("postgres"),
            "mysql_dsn": stack.dsn("mysql"),
            "statement_timeout_ms": 5000,
        }
    )
    engines = await open_engines(settings, list(Engine))
    tally = Tally()
    try:
        seeds = _sample()
        blueprints = [bp for k, s in enumerate(seeds) for bp in seeded_blueprints(s, 2, 100 + k)]
        drafts = generate_all(TemplateEngine(), blueprints, tally)
        await validate_all(Validator(engines), drafts, tally)
    finally:
        await close_engines(engines)
    print(
        f"\nseed drafts on SQLite, PostgreSQL and MariaDB: {len(seeds)} schemas, "
        f"{tally.drafts}/{tally.planned} realised, outcomes {dict(tally.outcomes)} "
        f"({tally.share('valid'):.1%} valid everywhere), {tally.ms_per_draft:.1f} ms per draft"
    )
    # 101 of the 130 plans were realisable before issue 17 session 7; seed types kept as declared
    # and free text no longer offered to groups and filters leave 99 (each one plan fewer).
    assert tally.drafts >= 95
    assert tally.share("valid") >= 0.97, tally.problems[:5]
