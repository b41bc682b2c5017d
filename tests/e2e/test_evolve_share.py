"""`--evolve-share` through every service on real NATS JetStream, SQLite, PostgreSQL and MariaDB:
after two exploring rounds the planner chooses an EvolSQL operator per seed, the generator
applies exactly that operator (no model call), the evolved sample runs the normal path (three
engines, sense checks, review, near-duplicate dedup), and every planned sample ends once."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
import sqlglot

from proto.common import Engine, EvolutionOperator, SeedMode
from proto.run import GrowthMode
from shared.runtime.local import LocalStack
from tests.e2e.harness import make_request, run_to_completion, start_services

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
ALL = [Engine.SQLITE, Engine.POSTGRES, Engine.MYSQL]


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def blueprint_of(row: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = row.get("properties") or row["envelope"]["blueprint"]
    return found


def test_evolve_share_evolves_seeds_through_the_services(stack: LocalStack, tmp_path: Path) -> None:
    # Two exploring rounds of 4, then the rest as evolutions (share 1.0 of a fully expanding
    # round): the smallest run that reaches the evolver.
    request = make_request(
        10, seed=3, engines=ALL, expand_ratio=1.0, round_size=4, evolve_share=1.0
    )
    supervisor = start_services(stack, tmp_path, ALL)
    try:
        run = asyncio.run(run_to_completion(stack, supervisor, request, tmp_path, timeout_s=240))
    finally:
        supervisor.stop_all()
    accepted = read_jsonl(tmp_path / "dataset.jsonl")
    duplicates = read_jsonl(tmp_path / "duplicates.jsonl")
    rejected = read_jsonl(tmp_path / "rejected.jsonl")
    ids = [r["id"] for r in accepted + duplicates + rejected]
    assert len(ids) == len(set(ids)) == run.plan.planned  # every planned sample ends once
    assert len(accepted) == request.count and run.plan.done

    growth = run.plan.growth
    assert growth is not None
    assert [r.mode for r in growth.rounds[:2]] == [GrowthMode.EXPLORE] * 2
    planned = sum(r.evolve for r in growth.rounds)
    assert planned >= 1, growth.rounds
    evolved = [
        r for r in accepted + duplicates + rejected if blueprint_of(r)["seed_mode"] == "evolve"
    ]
    assert len(evolved) == planned  # the planner's evolutions, each ended once
    first_generation = {r["id"] for r in accepted if blueprint_of(r)["seed_mode"] is None}
    parents = {r["id"]: r for r in accepted}
    for row in evolved:
        lineage = blueprint_of(row)
        assert lineage["parent_id"] in first_generation
        assert len(lineage["evolution"]) == 1
        EvolutionOperator(lineage["evolution"][0])
    for row in accepted:
        if blueprint_of(row)["seed_mode"] != SeedMode.EVOLVE.value:
            continue
        assert row["generator"] == "evolver" and row["cost"]["calls"] == 0
        checks = row["validation"]["checks"]
        assert {c["engine"] for c in checks} == {"sqlite", "postgres", "mysql"}
        assert all(c["ok"] for c in checks) and row["validation"]["results_agree"]
        sense = row["validation"]["sense"] or {"findings": []}
        assert not [f for f in sense["findings"] if f["severity"] == "error"]
        parent = parents[blueprint_of(row)["parent_id"]]
        # Evolved: a different, longer query than its parent's (EvolSQL's complexity growth).
        tokens = len(list(sqlglot.tokenize(row["sql"])))
        assert row["sql"] != parent["sql"] and tokens > len(list(sqlglot.tokenize(parent["sql"])))
    # Each evolution either failed its trial run at the generator (with the reason) or went the
    # whole normal path: validator (engines and sense checks), reviser, dedup.
    for row in evolved:
        if row in accepted:
            stages = [h["stage"] for h in row["history"]]
        else:
            stages = [h["stage"] for h in row["envelope"]["history"]]
        if row in rejected and stages[-1] == "generator":
            assert "passed the trial run" in row["reason"], row["reason"]
            continue
        assert [s for s in stages if s in ("generator", "validator", "reviser", "dedup")][-4:] == [
            "generator",
            "validator",
            "reviser",
            "dedup",
        ], stages
        assert row.get("dedup") or row["envelope"].get("dedup")
