"""An engine that is down, unreachable or hung is a retryable error, never a failed check."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
from pathlib import Path

import pytest

from proto.common import Engine, Level
from proto.sample import ErrorClass
from shared.engines.registry import close_engines, open_engines
from shared.engines.settings import EngineSettings
from shared.engines.validator import Validator
from shared.errors import EngineUnavailable, is_retryable
from shared.runtime.local import LocalStack, free_port
from tests.engines.conftest import make_staff_fixture

DSN_TEMPLATES = {
    Engine.POSTGRES: ("postgres_dsn", "postgresql://u:p@127.0.0.1:{port}/postgres"),
    Engine.MYSQL: ("mysql_dsn", "mysql://u:p@127.0.0.1:{port}/mysql"),
}


@pytest.mark.parametrize("engine", [Engine.POSTGRES, Engine.MYSQL])
async def test_closed_port_is_engine_unavailable(engine: Engine) -> None:
    field, template = DSN_TEMPLATES[engine]
    settings = EngineSettings.model_validate(
        {field: template.format(port=free_port()), "connect_timeout_s": 2}
    )
    with pytest.raises(EngineUnavailable) as caught:
        await open_engines(settings, [Engine.SQLITE, engine])
    assert str(caught.value).startswith(f"{engine.value}:")
    assert is_retryable(caught.value)


@pytest.mark.parametrize("engine", [Engine.POSTGRES, Engine.MYSQL])
async def test_missing_dsn_is_engine_unavailable(engine: Engine) -> None:
    with pytest.raises(EngineUnavailable, match=engine.value):
        await open_engines(EngineSettings(), [engine])


@pytest.mark.parametrize("engine", [Engine.POSTGRES, Engine.MYSQL])
async def test_a_server_that_never_answers_times_out_as_unavailable(engine: Engine) -> None:
    field, template = DSN_TEMPLATES[engine]
    # Listening but never accepting: the kernel completes the handshake, nobody ever speaks.
    with socket.create_server(("127.0.0.1", 0)) as silent:
        port = silent.getsockname()[1]
        settings = EngineSettings.model_validate(
            {field: template.format(port=port), "connect_timeout_s": 0.5}
        )
        # The connect timeout (0.5 s) ends it; a hang would be caught by the test timeout.
        with pytest.raises(EngineUnavailable, match=engine.value):
            await open_engines(settings, [engine])


def _list_descendants(root: int) -> list[int]:
    """root and every process below it (PostgreSQL backends leave the process group)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found, queue = [], [root]
    while queue:
        pid = queue.pop()
        found.append(pid)
        queue.extend(children.get(pid, []))
    return found


def _signal_server(stack: LocalStack, name: str, sig: signal.Signals) -> None:
    for pid in _list_descendants(stack.servers[name].proc.pid):
        os.kill(pid, sig)


@pytest.mark.engines
@pytest.mark.slow
async def test_engines_that_die_or_hang_mid_run_are_unavailable() -> None:
    """Private servers (the session stack stays untouched): hung, then stopped."""
    # Under /tmp with its own base: the servers' users cannot enter pytest's private tmp_path.
    private = await asyncio.to_thread(LocalStack.start, ["postgres", "mysql"])
    try:
        assert not private.unavailable, private.unavailable
        settings = EngineSettings(
            postgres_dsn=private.dsn("postgres"),
            mysql_dsn=private.dsn("mysql"),
            statement_timeout_ms=500,
        )
        engines = await open_engines(settings, [Engine.POSTGRES, Engine.MYSQL])
        validator = Validator(engines)
        fixture = make_staff_fixture("down")
        try:
            ok, _ = await validator.validate(fixture, "SELECT name FROM emp")
            assert all(c.ok for c in ok.checks)
            for name in ("postgres", "mysql"):
                _signal_server(private, name, signal.SIGSTOP)
            try:
                for engine in (Engine.POSTGRES, Engine.MYSQL):
                    with pytest.raises(EngineUnavailable, match=engine.value):
                        await engines[engine].check(fixture, "SELECT id FROM emp", Level.FULL)
            finally:
                for name in ("postgres", "mysql"):
                    _signal_server(private, name, signal.SIGCONT)
            # Back: a slow query is the SQL's fault again, a timeout check.
            slow = "SELECT COUNT(*) FROM " + ", ".join(f"emp t{i}" for i in range(10))
            back, _ = await validator.validate(fixture, slow)
            assert all(c.error_class is ErrorClass.TIMEOUT for c in back.checks), back.checks
            await asyncio.to_thread(private.stop)
            with pytest.raises(EngineUnavailable) as caught:
                await validator.validate(fixture, "SELECT name FROM emp")
            assert is_retryable(caught.value)
            with pytest.raises(EngineUnavailable):
                await validator.validate(make_staff_fixture("down-new"), "SELECT name FROM emp")
        finally:
            await close_engines(engines)
    finally:
        await asyncio.to_thread(private.stop)
