"""Issue 14: a `sqlsynth validate` run mixing hostile records with innocent ones, as a real
process. Innocent records keep exactly their clean-run verdicts, the hostile ones get their
own, and the command exits by itself well within its documented bound."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from shared.engines.settings import EngineSettings
from shared.runtime.local import LocalStack
from tests.engines.admin import fetch_mysql, fetch_pg
from tests.engines.test_isolation import WIDE_ROWS

REPO = Path(__file__).resolve().parents[2]
CONTEXT = (
    "CREATE TABLE dept (id INTEGER PRIMARY KEY, name VARCHAR(20));\n"
    "CREATE TABLE emp (id INTEGER PRIMARY KEY, name VARCHAR(40), dept_id INTEGER, "
    "salary DECIMAL(10,2));\n"
    "INSERT INTO dept (id, name) VALUES (1, 'eng'), (2, 'ops');\n"
    "INSERT INTO emp (id, name, dept_id, salary) VALUES (1, 'Ann', 1, 100.5), "
    "(2, 'Bob', 1, 90), (3, 'Cid', 2, 70.25), (4, 'Dee', 2, 70.25), (5, 'Eve', 1, 120), "
    "(6, 'Fay', NULL, 55.1);"
)
INNOCENT = [
    "SELECT name FROM emp WHERE salary > 80 ORDER BY name",
    "SELECT d.name, COUNT(*) AS n FROM emp e JOIN dept d ON d.id = e.dept_id GROUP BY d.name",
    "UPDATE emp SET salary = salary * 1.1 WHERE dept_id = 2",
    "SELECT AVG(salary) FROM emp",
    "DELETE FROM emp WHERE dept_id IS NULL",
    "SELECT name FROM emp WHERE dept_id = 3",
]
# Portable statements that only the deadline stops: SQLite's instr() never yields and its
# worker is killed; a join of 6^11 rows (CPU only, no memory) meets each engine's own
# timeout. (Calls that PostgreSQL and MariaDB cannot interrupt keep burning server CPU after
# their check is stopped: tests/engines/test_isolation.py covers them, waiting that out.)
NEVER_ENDS = [
    "SELECT instr(replace(hex(zeroblob(2000000)), '0', 'a'), "
    "replace(hex(zeroblob(1000000)), '0', 'a') || 'b')",
    "SELECT COUNT(*) FROM " + ", ".join(f"emp e{n}" for n in range(11)),
]
# Calls PostgreSQL and MariaDB cannot interrupt (they ran on for minutes after their check was
# stopped): the screen refuses them before they start (shared/engines/strings.py).
RUNAWAY_STRINGS = [
    "SELECT strpos(repeat('a', 80000), 'b' || repeat('a', 40000))",
    "SELECT LOCATE(CONCAT('b', REPEAT('a', 40000)), REPEAT('a', 80000))",
    "SELECT name FROM emp WHERE REPEAT(name, 500) LIKE CONCAT('%', REPEAT(name, 250), 'x')",
]
HOSTILE = [
    *NEVER_ENDS,
    *RUNAWAY_STRINGS,
    *WIDE_ROWS.values(),
    "SELECT 1\x00",
    "SELECT " + "(" * 5000 + "1" + ")" * 5000,
]
# Generous for innocents: a loaded 2-core host must not turn their verdicts into timeouts.
TIMEOUT_MS = 3000


def write_records(path: Path, sqls: list[tuple[str, str]]) -> None:
    with path.open("w") as handle:
        for record_id, sql in sqls:
            line = {"id": record_id, "sql": sql, "sql_context": CONTEXT, "dialect": "sqlite"}
            handle.write(json.dumps(line) + "\n")


def run_validate(stack: LocalStack, path: Path, out: Path, timeout_s: float) -> Any:
    env = {**os.environ, "PYTHONPATH": str(REPO), "SQLSYNTH_MAX_RESULT_BYTES": "100000"}
    command = [
        sys.executable,
        "-m",
        "services.cli",
        "validate",
        str(path),
        "--json",
        "--no-progress",
        "--out",
        str(out),
        "--statement-timeout-ms",
        str(TIMEOUT_MS),
        "--concurrency",
        "4",
        "--postgres-dsn",
        str(stack.dsn("postgres")),
        "--mysql-dsn",
        str(stack.dsn("mysql")),
    ]
    return subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=timeout_s, check=False
    )


def verdicts(out: Path) -> dict[str, dict[str, Any]]:
    found = {}
    for line in out.read_text().splitlines():
        row = json.loads(line)
        checks = {
            c["engine"]: (c["ok"], c["error_class"], c["digest"], c["row_count"])
            for c in row["query_checks"]
        }
        found[row["id"]] = {
            "schema": row["schema_valid"],
            "query": row["query_valid"],
            "checks": checks,
            "error": row["error"],
        }
    return found


@pytest.mark.engines
@pytest.mark.slow
def test_innocent_records_keep_their_verdicts_among_hostile_ones(
    stack: LocalStack, tmp_path: Path
) -> None:
    innocent = [(f"innocent-{n}", sql) for n, sql in enumerate(INNOCENT)]
    hostile = [(f"hostile-{n}", sql) for n, sql in enumerate(HOSTILE)]
    mixed = []
    for n in range(max(len(innocent), len(hostile))):
        mixed += hostile[n : n + 1] + innocent[n : n + 1]
    write_records(tmp_path / "clean.jsonl", innocent)
    write_records(tmp_path / "mixed.jsonl", mixed)
    # Every record could in the worst case wait out its deadline: the bound of the contract
    # is per record (timeout + kill) plus the 10 s of closing, never "forever".
    bound = len(mixed) * (TIMEOUT_MS / 1000 * 1.5 + 1 + 2) * 3 + 10 + 60
    clean = run_validate(stack, tmp_path / "clean.jsonl", tmp_path / "clean.out", bound)
    assert clean.returncode == 0, clean.stderr
    result = run_validate(stack, tmp_path / "mixed.jsonl", tmp_path / "mixed.out", bound)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "sqlglot" not in result.stderr
    assert "\x1b[" not in result.stdout
    report = json.loads(result.stdout)
    assert report["rows"] == len(mixed) and report["errors"] == 0
    before, after = verdicts(tmp_path / "clean.out"), verdicts(tmp_path / "mixed.out")
    messages = {
        json.loads(line)["id"]: [c["message"] for c in json.loads(line)["query_checks"]]
        for line in (tmp_path / "mixed.out").read_text().splitlines()
    }
    for record_id, _ in innocent:
        assert after[record_id] == before[record_id], (record_id, messages[record_id])
    for record_id, _sql in hostile:
        checks = after[record_id]["checks"]
        assert after[record_id]["error"] is None
        assert not any(ok for ok, *_ in checks.values()), (record_id, checks)
        assert all(cls != "engine_unavailable" for _, cls, *_ in checks.values()), checks
    for record_id, sql in hostile:
        if sql in RUNAWAY_STRINGS:
            assert any("sandbox: " in str(m) for m in messages[record_id]), messages[record_id]
    classes = {
        engine: {after[r]["checks"][engine][1] for r, _ in hostile}
        for engine in ("sqlite", "postgres", "mysql")
    }
    for engine, seen in classes.items():
        assert {"timeout", "too_large", "syntax_error"} <= seen, (engine, seen)
    # Nothing of the run goes on on the servers once the command has ended.
    assert count_running_sandbox_statements(stack) == {"postgres": 0, "mysql": 0}


def count_running_sandbox_statements(stack: LocalStack) -> dict[str, int]:
    settings = EngineSettings(postgres_dsn=stack.dsn("postgres"), mysql_dsn=stack.dsn("mysql"))
    query = f"{settings.sandbox_prefix}_query"
    pg = asyncio.run(
        fetch_pg(
            settings,
            "SELECT count(*) FROM pg_stat_activity WHERE usename = $1 AND state <> 'idle'",
            query,
        )
    )
    my = asyncio.run(
        fetch_mysql(
            settings,
            "SELECT count(*) FROM information_schema.processlist "
            "WHERE user = %s AND command <> 'Sleep'",
            query,
        )
    )
    return {"postgres": int(pg[0][0]), "mysql": int(my[0][0])}
