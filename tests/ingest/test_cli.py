"""`sqlsynth ingest`: files out, NATS out, follow mode, exit codes."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from proto.seed import SeedEvent
from services.cli.main import cli
from shared.ingest.seeds_io import load_seeds
from shared.runtime.local import LocalStack
from tests.ingest.conftest import PgLogs
from tests.ingest.published import published_seeds


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["ingest", *args], catch_exceptions=False)
    return result.exit_code, result.output


def test_batch_to_file_with_schema(data_dir: Path, tmp_path: Path) -> None:
    out, ddl = tmp_path / "seeds.jsonl", tmp_path / "schema.sql"
    path = data_dir / "querylogs" / "googleplus_queries.csv"
    code, output = invoke(
        str(path), "--dialect", "sqlite", "--out", str(out), "--schema-out", str(ddl), "--json"
    )
    assert code == 0
    summary = json.loads(output)
    seeds = load_seeds(out)
    assert summary["records"] == 135 and summary["shapes"] == len(seeds)
    assert sum(seed.count for seed in seeds) == 135
    # Every seed gets its tables' DDL, except the app's peeks at SQLite's own catalogue.
    assert all(seed.schema_ddl or "sqlite_master" in seed.sql.lower() for seed in seeds)
    assert "CREATE TABLE account_status" in ddl.read_text()


def test_stdout_and_unreadable_input(tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    log.write_text("2024-05-01 10:00:00 UTC [7] LOG:  duration: 2 ms  statement: SELECT 1\n")
    code, output = invoke(str(log), str(tmp_path / "missing.log"), "--schema-from", "none")
    assert code == 2  # one input could not be read at all
    [line] = [line for line in output.splitlines() if line.startswith("{")]
    assert SeedEvent.model_validate_json(line).duration_ms == 2.0


def test_follow_with_state(tmp_path: Path) -> None:
    log, state, out = tmp_path / "pg.log", tmp_path / "state.json", tmp_path / "seeds.jsonl"
    line = "2024-05-01 10:00:00 UTC [7] LOG:  duration: 2 ms  statement: SELECT {} FROM t\n"
    log.write_text(line.format(1))
    args = [str(log), "--follow", "--state", str(state), "--out", str(out), "--poll", "0.05"]
    assert invoke(*args, "--idle", "0", "--max-seconds", "0.5")[0] == 0
    with log.open("a") as handle:
        handle.write(line.format(2) + line.format(3) + line.format("a"))
    assert invoke(*args, "--idle", "0", "--max-seconds", "0.5")[0] == 0
    announced = [json.loads(text) for text in out.read_text().splitlines()]
    # SELECT n FROM t: one shape announced at counts 1 and 2; SELECT a FROM t a new shape.
    assert [(seed["sql"], seed["count"]) for seed in announced] == [
        ("SELECT 1 FROM t", 1),
        ("SELECT 2 FROM t", 2),
        ("SELECT a FROM t", 1),
    ]
    assert {seed.seed_id: seed.count for seed in load_seeds(out)}[announced[0]["seed_id"]] == 2


@pytest.mark.engines
async def test_publish_to_nats_is_idempotent(
    stack: LocalStack, pg_logs: PgLogs, tmp_path: Path
) -> None:
    log = tmp_path / "published.log"
    log.write_bytes(pg_logs.stderr.read_bytes())
    args = [str(log), "--publish", "--nats-url", stack.dsn("nats") or "", "--json"]
    # The command runs its own event loop: off this test's loop, in a thread.
    code, output = await asyncio.to_thread(invoke, *args)
    assert code == 0
    first = json.loads(output)
    assert first["published"] == first["shapes"] > 0 and first["duplicates"] == 0
    again = json.loads((await asyncio.to_thread(invoke, *args))[1])
    assert again["published"] == 0 and again["duplicates"] == first["shapes"]

    received = await published_seeds(stack.dsn("nats") or "", str(log))
    assert len(received) == first["shapes"]
    assert all(headers["Nats-Msg-Id"].startswith(seed.seed_id) for seed, headers in received)
    assert not any("@example" in seed.sql for seed, _ in received)
