"""A run from seeds through the real services (SQL-Factory's expansion): real Spider seeds, the
template engine writing new queries on the seeds' own schemas, checked on three engines.

The run request is published before its seeds, so the planner must wait for the pool; a
malformed seed event ends in poison.jsonl with its reason, not in a crash."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections import Counter
from pathlib import Path

import nats
import pytest

from proto import subjects
from shared.ingest.run_seeds import load_run_seeds
from shared.runtime.local import LocalStack
from tests.e2e.harness import make_request, run_to_completion, start_services
from tests.e2e.test_pipeline import ALL, assert_exactly_once

pytestmark = [pytest.mark.e2e, pytest.mark.engines]
DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
COUNT = 40


async def publish_late(stack: LocalStack, seeds: list, delay_s: float) -> None:  # type: ignore[type-arg]
    await asyncio.sleep(delay_s)
    nc = await nats.connect(stack.dsn("nats") or "")
    js = nc.jetstream()
    await js.publish(subjects.SEED_INGESTED, b'{"kind": "seed", "sql": 42}')  # malformed
    for seed in seeds:
        await js.publish(
            subjects.SEED_INGESTED,
            seed.model_dump_json().encode(),
            headers={"Nats-Msg-Id": f"seed:{seed.pool}:{seed.seed_id}"},
        )
    await nc.drain()


async def test_a_run_expands_real_seeds_on_their_own_schemas(
    stack: LocalStack, tmp_path: Path
) -> None:
    request = make_request(COUNT, engines=ALL)
    loaded = await load_run_seeds(DATA / "spider" / "dev.json", request.run_id)
    # A few databases' seeds: every one is used, and each schema more than once.
    wanted = {"concert_singer", "pets_1", "car_1", "flight_2", "employee_hire_evaluation"}
    seeds = [s for s in loaded.seeds if s.db_id in wanted]
    request = request.model_copy(update={"seed_pool": request.run_id, "seed_count": len(seeds)})
    supervisor = start_services(stack, tmp_path, ALL)
    try:
        late = asyncio.create_task(publish_late(stack, seeds, delay_s=3.0))
        output = await run_to_completion(stack, supervisor, request, tmp_path, timeout_s=480)
        await late
    finally:
        supervisor.stop_all()
    assert_exactly_once(output)
    records = output.records("dataset.jsonl")
    assert {r["domain"] for r in records} <= {f"seed_{db}" for db in wanted}
    assert len({r["domain"] for r in records}) >= 3
    seed_sql = {s.sql for s in seeds}
    by_id = {s.seed_id: s for s in seeds}
    for record in records:
        properties = record["properties"]
        assert properties["seed_mode"] == "expand" and properties["seed_id"] in by_id
        assert record["sql"] not in seed_sql  # a new query, not the seed's
        # Written on the seed's schema as the user knows it: the query runs on the seed's
        # own DDL (empty tables), not only on the rendering the engine checked.
        users_db = sqlite3.connect(":memory:")
        users_db.executescript(by_id[properties["seed_id"]].schema_ddl or "")
        users_db.execute(record["sql_by_dialect"].get("sqlite", record["sql"])).fetchall()
        users_db.close()
        # The record alone (Gretel's sql_context: DDL + INSERTs) reproduces a non-empty result.
        context_db = sqlite3.connect(":memory:")
        context_db.executescript(record["sql_context"])
        before = context_db.total_changes
        result = context_db.execute(record["sql_by_dialect"].get("sqlite", record["sql"]))
        if record["sql_task_type"] == "data manipulation":
            assert context_db.total_changes > before
        else:
            assert result.fetchall()
        context_db.close()
        validation = record["validation"]
        assert validation["results_agree"] is True and validation["non_empty"] is True
        assert all(check["ok"] for check in validation["checks"])
    uses = Counter(output.plan.seed_uses.values())
    assert sum(output.plan.seed_uses.values()) == output.plan.planned
    assert uses, output.plan
    poison = [json.loads(line) for line in (tmp_path / "poison.jsonl").read_text().splitlines()]
    [kept] = [p for p in poison if p["headers"].get("Sqlsynth-Stage") == "planner"]
    assert json.loads(kept["body"]) == {"kind": "seed", "sql": 42}
    assert "seed_id" in kept["headers"]["Sqlsynth-Error"]  # the reason travels with it
    print(
        f"seeds {len(seeds)}; planned {output.plan.planned}, accepted {output.status.accepted}, "
        f"rejected {output.status.rejected}, duplicate {output.status.duplicate}"
    )
