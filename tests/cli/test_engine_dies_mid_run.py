"""Issue 14: `sqlsynth validate` exits 3 when records could not be checked: its MariaDB is
killed while it runs. The records still get SQLite's own verdicts (the unavailable engine is
marked as such), the summary counts them as errors, and the command ends by itself."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pymysql
import pytest

from services.cli.validate import EXIT_ENGINES_UNAVAILABLE
from shared.engines.settings import EngineSettings
from shared.runtime.local import LocalStack
from tests.engines.admin import fetch_mysql

REPO = Path(__file__).resolve().parents[2]
CONTEXT = (
    "CREATE TABLE t (id INTEGER PRIMARY KEY, v VARCHAR(20));\n"
    "INSERT INTO t (id, v) VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd'), (5, 'e');"
)
# Keeps the run busy for its 1 s budget on each engine: the kill lands mid-run.
SLOW = "SELECT COUNT(*) FROM " + ", ".join(f"t a{n}" for n in range(12))
RECORDS = [SLOW] + [f"SELECT v FROM t WHERE id = {n % 5 + 1}" for n in range(40)]


def _checking_records(dsn: str) -> bool:
    """Is the CLI checking records on MariaDB (its engines open, a fixture built there)?"""
    settings = EngineSettings(mysql_dsn=dsn)
    try:
        rows = asyncio.run(
            fetch_mysql(settings, f"SELECT COUNT(*) FROM {settings.sandbox_prefix}_ctl.fixtures")
        )
    except pymysql.err.MySQLError:  # not provisioned yet
        return False
    return int(rows[0][0]) > 0


@pytest.mark.engines
@pytest.mark.slow
def test_validate_exits_3_when_its_mariadb_dies_mid_run(tmp_path: Path) -> None:
    records = tmp_path / "records.jsonl"
    records.write_text(
        "".join(
            json.dumps({"id": f"r{n}", "sql": sql, "sql_context": CONTEXT}) + "\n"
            for n, sql in enumerate(RECORDS)
        )
    )
    out = tmp_path / "out.jsonl"
    stack = LocalStack.start(["mysql"])
    try:
        assert not stack.unavailable, stack.unavailable
        dsn = stack.dsn("mysql")
        assert dsn
        command = [
            sys.executable, "-m", "services.cli", "validate", str(records),
            "--engines", "sqlite,mysql", "--mysql-dsn", dsn, "--json", "--no-progress",
            "--out", str(out), "--concurrency", "1", "--statement-timeout-ms", "1000",
        ]  # fmt: skip
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        proc = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        try:
            deadline = time.monotonic() + 120
            while not _checking_records(dsn):
                assert proc.poll() is None, proc.communicate()
                assert time.monotonic() < deadline, "the CLI never connected"
                time.sleep(0.05)
            os.killpg(stack.servers["mysql"].proc.pid, signal.SIGKILL)
            stdout, stderr = proc.communicate(timeout=300)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    finally:
        stack.stop()
    assert proc.returncode == EXIT_ENGINES_UNAVAILABLE, stderr
    assert "Traceback" not in stderr
    assert "could not be checked" in stderr
    report = json.loads(stdout)
    assert report["rows"] == len(RECORDS) and report["errors"] > 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    failed = [row for row in rows if row["error"]]
    assert failed, rows
    for row in failed:
        checks = {c["engine"]: c for c in row["query_checks"]}
        # MariaDB's check says it was unavailable; SQLite's verdict is its own, kept.
        assert checks["mysql"]["error_class"] == "engine_unavailable", row
        assert "mysql" in row["error"]
        if row["id"] != "r0":
            assert checks["sqlite"]["ok"] and checks["sqlite"]["row_count"] == 1, row
            assert row["query_valid"] == {"sqlite": True, "mysql": False}
