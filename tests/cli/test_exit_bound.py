"""Issue 14: `sqlsynth validate` ends within EXIT_BOUND_S of its last record, whatever runs.

The bound is a sum of configured budgets (asserted to add up, no clock involved); the
escalation that enforces the server part is tested on processes that ignore signals and on a
PostgreSQL backend stuck in strpos(); one end-to-end run checks the command ends by itself and
leaves no server process behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from services.cli.validate import EXIT_BOUND_S
from services.cli.validation_run import CLOSE_TIMEOUT_S
from shared.engines.base import POOL_CLOSE_S
from shared.runtime.local import (
    THROWAWAY_STOP_GRACE_S,
    LocalStack,
    Server,
    stop_budget_s,
    stop_servers,
)

REPO = Path(__file__).resolve().parents[2]
# Ignores every polite signal: only SIGKILL ends it.
STUBBORN = (
    "import signal, time\n"
    "for s in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT):\n"
    "    signal.signal(s, signal.SIG_IGN)\n"
    "print('ready', flush=True)\n"
    "time.sleep(600)\n"
)


def test_the_exit_budgets_add_up_to_less_than_the_bound() -> None:
    # After the last record: the engines close (their pools drop connections after
    # POOL_CLOSE_S, the whole close is cut at CLOSE_TIMEOUT_S), then the private servers stop.
    assert POOL_CLOSE_S < CLOSE_TIMEOUT_S
    assert CLOSE_TIMEOUT_S + stop_budget_s(THROWAWAY_STOP_GRACE_S) <= EXIT_BOUND_S - 1.0


@pytest.mark.parametrize("name", ["postgres", "mysql"])
def test_a_server_that_ignores_its_signals_is_killed(name: str) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", STUBBORN], stdout=subprocess.PIPE, start_new_session=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == b"ready"
    server = Server(name, 0, proc, "")
    try:
        stop_servers([server], grace_s=0.2)
        assert proc.poll() == -signal.SIGKILL
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


def test_servers_that_stop_by_themselves_get_no_harder_signal() -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", "import time; time.sleep(600)"], start_new_session=True
        )
        for _ in range(2)
    ]
    stop_servers([Server("nats", 0, p, "") for p in procs], grace_s=30)
    assert [p.poll() for p in procs] == [-signal.SIGTERM, -signal.SIGTERM]


def _is_alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.engines
@pytest.mark.slow
async def test_a_backend_stuck_in_strpos_ends_with_its_private_server() -> None:
    """PostgreSQL ignores cancel and terminate inside strpos(); the stop's immediate shutdown
    (SIGQUIT) ends the backend too, where a SIGKILL of the postmaster would orphan it."""
    stack = await asyncio.to_thread(LocalStack.start, ["postgres"])
    stack.stop_grace_s = THROWAWAY_STOP_GRACE_S
    try:
        dsn = stack.dsn("postgres")
        assert dsn
        runaway = await asyncpg.connect(dsn)
        watcher = await asyncpg.connect(dsn)
        stuck = asyncio.ensure_future(
            runaway.fetchval("SELECT strpos(repeat('a', 400000), 'b' || repeat('a', 200000))")
        )
        pid = None
        for _ in range(200):
            pid = await watcher.fetchval(
                "SELECT pid FROM pg_stat_activity WHERE state = 'active' "
                "AND query LIKE 'SELECT strpos%'"
            )
            if pid:
                break
            await asyncio.sleep(0.05)
        assert pid, "the runaway statement never started"
        await watcher.close()
        await asyncio.to_thread(stack.stop)
        stuck.cancel()
        with contextlib.suppress(BaseException):
            await stuck
        runaway.terminate()
        # The kernel reaps the backend once it has exited; poll for that, not a timing.
        for _ in range(100):
            if not _is_alive(pid):
                break
            await asyncio.sleep(0.1)
        assert not _is_alive(pid), f"backend {pid} still running after the server stopped"
    finally:
        await asyncio.to_thread(stack.stop)


@contextlib.contextmanager
def private_tmp() -> Iterator[Path]:
    """A temp folder the database servers' system users can enter (pytest's is private)."""
    path = Path(tempfile.mkdtemp(prefix="sqlsynth-exit-"))
    os.chmod(path, 0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _processes_mentioning(text: str) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                if text in cmdline and _is_alive(int(entry.name)):
                    found.append(f"{entry.name}: {cmdline[:120]}")
    return found


@pytest.mark.engines
@pytest.mark.e2e
@pytest.mark.slow
def test_validate_ends_by_itself_and_leaves_no_server_behind() -> None:
    context = "CREATE TABLE t (id INTEGER PRIMARY KEY, v VARCHAR(20));"
    sqls = [
        "SELECT id FROM t",
        "SELECT strpos(repeat('a', 80000), 'b' || repeat('a', 40000))",
        "SELECT COUNT(*) FROM " + ", ".join(f"t a{n}" for n in range(8)),
    ]
    with private_tmp() as tmp:
        records = tmp / "records.jsonl"
        records.write_text(
            "".join(
                json.dumps({"id": f"r{n}", "sql": sql, "sql_context": context}) + "\n"
                for n, sql in enumerate(sqls)
            )
        )
        # TMPDIR: every private server's files, named in its argv. Sticky and world-writable
        # like /tmp: MariaDB (its own system user) keeps temporary files there too.
        servers = tmp / "servers"
        servers.mkdir()
        os.chmod(servers, 0o1777)
        env = {**os.environ, "PYTHONPATH": str(REPO), "TMPDIR": str(servers)}
        env.pop("SQLSYNTH_POSTGRES_DSN", None)
        env.pop("SQLSYNTH_MYSQL_DSN", None)
        command = [
            sys.executable,
            "-m",
            "services.cli",
            "validate",
            str(records),
            "--json",
            "--no-progress",
            "--statement-timeout-ms",
            "1000",
        ]
        started = time.monotonic()
        # Generous: start-up of two private servers on a loaded host dominates.
        result = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=300, check=False
        )
        took = time.monotonic() - started
        assert result.returncode == 0, result.stderr
        assert "did not close" not in result.stderr
        report = json.loads(result.stdout)
        assert report["rows"] == 3 and report["errors"] == 0
        assert _processes_mentioning(str(servers)) == [], f"left running after {took:.0f} s"
