"""PostgreSQL fixture builds alone: client and server CPU per build, on template drafts.

    python -m bench pg-builds [--count 150] [--seed 7]

Drafts `--count` + 10 template drafts as `bench stage-cpu` does, starts a private PostgreSQL,
builds the first 10 fixtures unmeasured, then the rest one after another (`check_fixture` on
PostgreSQL alone) and reads this process's CPU and the server's process tree's CPU from /proc
around them. Run it from two checkouts in turn to compare a change to the build (#23).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time

from bench.cpu import descendants, process_table
from bench.stage_cpu import draft_envelopes
from proto.common import Engine
from shared.engines.fixture import fixture_from_draft
from shared.engines.registry import EngineSettings, close_engines, open_engines
from shared.runtime.local import LocalStack

WARMUP = 10


async def measure(count: int, seed: int) -> dict[str, object]:
    envelopes = await draft_envelopes(count + WARMUP, seed)
    fixtures = [fixture_from_draft(e.draft) for e in envelopes if e.draft]
    with LocalStack.start(["postgres"]) as stack:
        settings = EngineSettings(postgres_dsn=stack.dsn("postgres"))
        engines = await open_engines(settings, [Engine.POSTGRES])
        postgres = engines[Engine.POSTGRES]
        root = stack.servers["postgres"].proc.pid

        def server_cpu() -> float:
            table = process_table()
            return sum(table[pid][1] for pid in descendants(root, table))

        try:
            for fixture in fixtures[:WARMUP]:
                await postgres.check_fixture(fixture)
            server, client, wall = server_cpu(), time.process_time(), time.perf_counter()
            built = 0
            for fixture in fixtures[WARMUP:]:
                built += (await postgres.check_fixture(fixture)).ok
            server = server_cpu() - server
            client, wall = time.process_time() - client, time.perf_counter() - wall
        finally:
            await close_engines(engines)
    builds = max(len(fixtures) - WARMUP, 1)
    return {
        "builds": builds,
        "ok": built,
        "client_cpu_ms": round(1000 * client / builds, 2),
        "server_cpu_ms": round(1000 * server / builds, 2),
        "wall_ms": round(1000 * wall / builds, 2),
        "load_average": os.getloadavg(),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench pg-builds")
    parser.add_argument("--count", type=int, default=150)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    print(json.dumps(asyncio.run(measure(args.count, args.seed))))
    return 0
