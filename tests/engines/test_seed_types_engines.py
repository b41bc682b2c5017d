"""Seeded fixtures that keep TIMESTAMP/DATETIME, text dates, bare NUMERIC and text keys run
on SQLite, PostgreSQL and MariaDB and the engines agree: the printing of timestamps and the
exactness of NUMERIC are handled where results are compared (digest.py) and where the DDL is
rendered (render.py), not by changing the seed's types."""

from __future__ import annotations

import re

import pytest

from proto.common import Engine
from shared.engines.registry import close_engines, open_engines
from shared.engines.validator import Validator
from shared.generation.template.engine import TemplateEngine
from shared.runtime.local import LocalStack
from tests.engines.conftest import ROOMY_TIMEOUT_MS, make_settings
from tests.unit.template.seed_data import Seed, bird_seeds, spider_seeds
from tests.unit.template.seed_runs import Tally, generate_all, seeded_blueprints, validate_all
from tests.unit.template.test_seed_types import EVENTS

pytestmark = pytest.mark.engines


def _seeds() -> list[Seed]:
    spider = {s.name: s for s in spider_seeds()}
    bird = {s.name: s for s in bird_seeds()}
    return [
        Seed("test", "events", EVENTS, ("SELECT title FROM event",)),
        spider["concert_singer"],
        spider["pets_1"],
        spider["dog_kennels"],  # text keys: breed_code, size_code, treatment_type_code
        spider["world_1"],  # country.Code
        bird["codebase_community"],
    ]


async def test_drafts_on_kept_types_agree_on_three_engines(stack: LocalStack) -> None:
    settings = make_settings(stack, statement_timeout_ms=ROOMY_TIMEOUT_MS)
    engines = await open_engines(settings, list(Engine))
    tally = Tally()
    try:
        seeds = _seeds()
        blueprints = [bp for k, s in enumerate(seeds) for bp in seeded_blueprints(s, 18, 700 + k)]
        drafts = generate_all(TemplateEngine(), blueprints, tally)
        await validate_all(Validator(engines), drafts, tally)
    finally:
        await close_engines(engines)
    ddls = "\n".join(d.schema_ddl for _, d in drafts)
    # The kept types are in the fixtures the engines ran, with values of their shape.
    assert "NUMERIC" in ddls and "DATETIME" in ddls
    assert "breed_code TEXT PRIMARY KEY" in ddls or "breed_code VARCHAR(255) PRIMARY KEY" in ddls
    timed = [
        v
        for _, d in drafts
        for rows in d.rows
        for row in rows.values
        for v in row
        if isinstance(v, str) and re.match(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}", v)
    ]
    assert timed
    assert tally.drafts >= 70, tally.unrealisable
    assert tally.outcomes["error"] == 0 and tally.outcomes["mismatch"] == 0, tally.problems[:5]
    assert tally.share("valid") >= 0.9, tally.problems[:5]
