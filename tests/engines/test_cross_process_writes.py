"""Issue 14: write checks on one fixture are serialised across processes, not only within one.

Two validator replicas share the run's secret, so a fixture has the same scratch name for
both: a second process holds the fixture's write lock here, and this process's write waits
for it (seen waiting on the server), then runs on an untouched fixture once it is released.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
from pathlib import Path

import pytest

from proto.common import Engine, Level
from shared.engines.registry import ENGINE_CLASSES
from shared.engines.settings import EngineSettings
from shared.errors import EngineUnavailable
from shared.runtime.local import LocalStack
from tests.engines.admin import fetch_mysql, fetch_pg
from tests.engines.conftest import make_settings, make_staff_fixture

pytestmark = [pytest.mark.engines, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
# The other replica: builds (or adopts) the fixture, takes its write lock, holds it until told.
HOLDER = """
import asyncio, sys
from proto.common import Engine
from shared.engines.registry import ENGINE_CLASSES
from shared.engines.settings import EngineSettings
from tests.engines.conftest import make_staff_fixture

async def main() -> None:
    runner = ENGINE_CLASSES[Engine(sys.argv[1])](EngineSettings(drop_on_close=False))
    await runner.start()
    try:
        async with runner.fixtures.lease(make_staff_fixture(sys.argv[2])) as handle:
            async with runner._lock_writes(handle):
                print("held", flush=True)
                await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        print("released", flush=True)
    finally:
        await runner.close()

asyncio.run(main())
"""
WRITE = "UPDATE emp SET salary = salary * 2 WHERE dept_id = 1"


async def count_lock_waiters(settings: EngineSettings, engine: Engine) -> int:
    if engine is Engine.POSTGRES:
        rows = await fetch_pg(
            settings, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        )
    else:
        rows = await fetch_mysql(
            settings,
            "SELECT count(*) FROM information_schema.processlist "
            "WHERE info LIKE 'SELECT GET_LOCK(%%:w%%'",
        )
    return int(rows[0][0])


@pytest.mark.parametrize("engine", [Engine.POSTGRES, Engine.MYSQL])
async def test_a_write_waits_for_another_process_writing_on_the_same_fixture(
    stack: LocalStack, engine: Engine
) -> None:
    secret = secrets.token_hex(16)
    settings = make_settings(stack, fixture_secret=secret, statement_timeout_ms=4000)
    impatient = make_settings(stack, fixture_secret=secret, statement_timeout_ms=50)
    tag = f"cross-process-{engine.value}-{secret[:6]}"
    fixture = make_staff_fixture(tag)
    runner = ENGINE_CLASSES[engine](settings)
    hurried = ENGINE_CLASSES[engine](impatient)
    await runner.start()
    await hurried.start()
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "SQLSYNTH_POSTGRES_DSN": str(settings.postgres_dsn),
        "SQLSYNTH_MYSQL_DSN": str(settings.mysql_dsn),
        "SQLSYNTH_FIXTURE_SECRET": secret,
    }
    holder = None
    try:
        clean = await runner.check(fixture, WRITE, Level.FULL, allow_writes=True)
        assert clean.ok, clean
        holder = await asyncio.create_subprocess_exec(
            sys.executable, "-c", HOLDER, engine.value, tag,
            env=env, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert holder.stdin is not None and holder.stdout is not None
        assert (await asyncio.wait_for(holder.stdout.readline(), 120)).strip() == b"held"
        # Waiting is bounded like a pool wait: past it the engine is busy, a retryable error.
        with pytest.raises(EngineUnavailable, match="another process writes on this fixture"):
            await hurried.check(fixture, WRITE, Level.FULL, allow_writes=True)
        write = asyncio.create_task(runner.check(fixture, WRITE, Level.FULL, allow_writes=True))
        for _ in range(400):
            if await count_lock_waiters(settings, engine):
                break
            await asyncio.sleep(0.05)
        assert await count_lock_waiters(settings, engine) == 1
        assert not write.done()  # waiting on the server for the other process
        holder.stdin.write(b"go\n")
        await holder.stdin.drain()
        assert (await asyncio.wait_for(holder.stdout.readline(), 60)).strip() == b"released"
        after = await asyncio.wait_for(write, runner.acquire_s + 30)
        assert after.ok and after.digest == clean.digest, after
        assert await asyncio.wait_for(holder.wait(), 60) == 0
    finally:
        if holder is not None and holder.returncode is None:
            holder.kill()
            await holder.wait()
        await hurried.close()
        await runner.close()
