"""End to end on real nats-server, PostgreSQL and MariaDB: exactly-once, validity, conformance."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import pytest

from proto.common import Engine, Level, Policy
from proto.sample import Blueprint
from services.runner.supervisor import Supervisor
from shared.engines.fixture import Fixture
from shared.engines.registry import EngineSettings, open_engines
from shared.engines.validator import Validator
from shared.runtime.local import LocalStack
from shared.sql.conformance import conformance_diffs
from shared.sql.features import analyze_query
from tests.e2e.harness import RunOutput, make_request, run_to_completion, start_services

pytestmark = [pytest.mark.e2e, pytest.mark.engines]
ALL = [Engine.SQLITE, Engine.POSTGRES, Engine.MYSQL]


def assert_exactly_once(output: RunOutput, *, reached_target: bool = True) -> None:
    accepted = output.records("dataset.jsonl")
    duplicates = output.records("duplicates.jsonl")
    rejected = output.records("rejected.jsonl")
    everything = accepted + duplicates + rejected
    run_ids = [r["id"] for r in everything if r["run_id"] == output.request.run_id]
    twice = [i for i, n in Counter(run_ids).items() if n > 1]
    assert not twice, f"written twice: {twice}"
    planned = {f"{output.request.run_id}-{i:07d}" for i in range(output.plan.planned)}
    assert set(run_ids) == planned, f"lost: {sorted(planned - set(run_ids))[:5]}"
    if reached_target:
        assert len(accepted) == output.request.count


async def reexecute_independently(output: RunOutput, stack: LocalStack) -> None:
    """Every accepted record, from its file alone, on a fresh validator over all three engines."""
    settings = EngineSettings(postgres_dsn=stack.dsn("postgres"), mysql_dsn=stack.dsn("mysql"))
    engines = await open_engines(settings, ALL)
    try:
        validator = Validator(engines)
        failures = []
        for record in output.records("dataset.jsonl"):
            fixture = Fixture(ddl=record["sql_context"], dialect=Engine.SQLITE)
            validation, _ = await validator.validate(
                fixture,
                record["sql"],
                level=Level.FULL,
                policy=Policy.PORTABLE,
                allow_writes=record["sql_task_type"] == "data manipulation",
            )
            if not (
                all(c.ok for c in validation.checks)
                and validation.results_agree is not False
                and validation.non_empty is not False
            ):
                failures.append((record["id"], [c.message for c in validation.checks if not c.ok]))
        assert not failures, failures[:5]
    finally:
        for engine in engines.values():
            await engine.close()


def assert_conformance(output: RunOutput) -> None:
    for record in output.records("dataset.jsonl"):
        blueprint = Blueprint.model_validate(record["properties"])
        analysis = analyze_query(record["sql"], Engine.SQLITE)
        assert analysis.features is not None, (record["id"], analysis.error)
        assert conformance_diffs(blueprint, analysis.features) == [], record["id"]


@pytest.fixture
def services(stack: LocalStack, tmp_path: Path):  # type: ignore[no-untyped-def]
    supervisor = start_services(stack, tmp_path, ALL)
    yield supervisor
    supervisor.stop_all()


async def test_run_of_one_hundred_twenty(
    stack: LocalStack, services: Supervisor, tmp_path: Path
) -> None:
    output = await run_to_completion(stack, services, make_request(120), tmp_path)
    assert_exactly_once(output)
    # Samples the sense checks reject (docs/sense.md) are the template engine's meaning defects,
    # counted apart; every other failure stays rare.
    judged = output.plan.planned - output.status.rejection_reasons.get("sense_error", 0)
    accepted_share = output.status.accepted / judged
    assert accepted_share >= 0.95, (output.status, output.status.rejection_reasons)
    assert_conformance(output)
    await reexecute_independently(output, stack)


async def test_validator_killed_mid_run(
    stack: LocalStack, services: Supervisor, tmp_path: Path
) -> None:
    killed = False

    async def chaos(status) -> None:  # type: ignore[no-untyped-def]
        nonlocal killed
        if not killed and status.accepted >= 20:
            killed = True
            services.kill("validator-0")
            await asyncio.sleep(1.0)
            services.start("validator", 0)

    output = await run_to_completion(
        stack, services, make_request(60, seed=11), tmp_path, during=chaos
    )
    assert killed
    assert_exactly_once(output)
    assert_conformance(output)
