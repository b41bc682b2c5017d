"""One real run (template engine, real NATS, SQLite/PostgreSQL/MariaDB) shared by the tests of
the training-ready outputs: export, preference pairs, reasoning, scoring."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from proto.common import Engine
from shared.engines.registry import close_engines, open_engines
from shared.engines.settings import EngineSettings
from shared.engines.validator import Validator
from shared.runtime.local import LocalStack
from tests.e2e.harness import make_request, run_to_completion, start_services

ALL = list(Engine)
COUNT = 24


@pytest.fixture(scope="session")
def run_dir(stack: LocalStack, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("outputs-run")
    request = make_request(COUNT, seed=11, engines=ALL)
    supervisor = start_services(stack, out, ALL)
    try:
        asyncio.run(run_to_completion(stack, supervisor, request, out, timeout_s=400))
    finally:
        supervisor.stop_all()
    # What `sqlsynth run` writes beside the dataset, for the card.
    (out / "run.json").write_text(request.model_dump_json())
    assert len((out / "dataset.jsonl").read_text().splitlines()) >= COUNT
    return out


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def validator(stack: LocalStack) -> AsyncIterator[Validator]:
    """The real Validator on SQLite, PostgreSQL and MariaDB of the private stack."""
    settings = EngineSettings(postgres_dsn=stack.dsn("postgres"), mysql_dsn=stack.dsn("mysql"))
    opened = await open_engines(settings, ALL)
    try:
        yield Validator(opened)
    finally:
        await close_engines(opened)


def engine_args(stack: LocalStack) -> list[str]:
    return ["--postgres-dsn", stack.dsn("postgres") or "", "--mysql-dsn", stack.dsn("mysql") or ""]
