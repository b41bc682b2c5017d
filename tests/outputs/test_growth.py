"""SQL-Factory's loop on the real engines: explore with the template engine, then expand
accepted samples with value variants; both through the same stages, every accepted sample
valid on SQLite, PostgreSQL and MariaDB, expansions with their lineage and no model call."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from proto.common import Engine, SeedMode
from proto.run import RunRequest
from shared.engines.base import SqlEngine
from shared.engines.registry import close_engines, open_engines
from shared.engines.settings import EngineSettings
from shared.evolution.grow import GrowConfig, grow, pattern_of
from shared.evolution.manage import ManageConfig, Mode
from shared.evolution.stages import build_driver
from shared.pipeline.dedup import MemoryClaimStore
from shared.runtime.local import LocalStack
from shared.spec import load_spec

pytestmark = [pytest.mark.engines, pytest.mark.slow]


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def engines(stack: LocalStack) -> AsyncIterator[dict[Engine, SqlEngine]]:
    settings = EngineSettings(postgres_dsn=stack.dsn("postgres"), mysql_dsn=stack.dsn("mysql"))
    opened = await open_engines(settings, list(Engine))
    try:
        yield opened
    finally:
        await close_engines(opened)


@pytest.mark.asyncio(loop_scope="module")
async def test_the_loop_explores_then_expands_through_the_pipeline(
    engines: dict[Engine, SqlEngine],
) -> None:
    driver, validator = build_driver(engines, MemoryClaimStore(), generate=True)
    request = RunRequest(
        run_id="grow-test", count=8, seed=2, spec=load_spec(None).to_document(), max_in_flight=32
    )
    config = GrowConfig(cycles=3, cycle_size=8, manage=ManageConfig(explore_cycles=1))
    try:
        report = await grow(driver, request, config)
    finally:
        validator.close()
    assert [e.mode for e in report.evaluations][:2] == [Mode.EXPLORE, Mode.EXPAND]
    explored, expanded = report.accepted[Mode.EXPLORE], report.accepted[Mode.EXPAND]
    assert explored and expanded
    seeds = {e.sample_id: e for e in explored + expanded}
    for envelope in explored + expanded:
        assert envelope.validation is not None and envelope.validation.ok
        assert {c.engine for c in envelope.validation.checks} == set(Engine)
    for envelope in expanded:
        assert envelope.blueprint.seed_mode is SeedMode.EXPAND
        parent = seeds[envelope.blueprint.parent_id or ""]
        assert pattern_of(envelope) == pattern_of(parent)  # the same structure
        assert envelope.cost.calls == 0
