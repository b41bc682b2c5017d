"""An explore-expand run through every service on real NATS JetStream, SQLite, PostgreSQL and
MariaDB: the planner explores, then expands accepted patterns (the generator varies them with no
model call), every planned sample ends exactly once, and the report shows the rounds."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from proto.common import Engine
from proto.run import GrowthMode
from services.runner.run import growth_summary
from shared.report.growth import compute_growth
from shared.report.html_growth import render_growth
from shared.report.load import load_report_dataset
from shared.runtime.local import LocalStack
from tests.e2e.harness import make_request, run_to_completion, start_services

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
ALL = [Engine.SQLITE, Engine.POSTGRES, Engine.MYSQL]


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_explore_expand_run_expands_accepted_patterns_exactly_once(
    stack: LocalStack, tmp_path: Path
) -> None:
    request = make_request(18, seed=7, engines=ALL, expand_ratio=0.5, round_size=6)
    supervisor = start_services(stack, tmp_path, ALL)
    try:
        run = asyncio.run(run_to_completion(stack, supervisor, request, tmp_path, timeout_s=500))
    finally:
        supervisor.stop_all()
    accepted = read_jsonl(tmp_path / "dataset.jsonl")
    duplicates = read_jsonl(tmp_path / "duplicates.jsonl")
    rejected = read_jsonl(tmp_path / "rejected.jsonl")
    # Exactly once: every planned sample ends once as accepted, duplicate or rejected.
    ids = [r["id"] for r in accepted] + [r["id"] for r in duplicates + rejected]
    assert len(ids) == len(set(ids)) == run.plan.planned
    assert len(accepted) == request.count and run.plan.done

    growth = run.plan.growth
    assert growth is not None and len(growth.rounds) >= 3
    assert [r.mode for r in growth.rounds[:2]] == [GrowthMode.EXPLORE] * 2
    assert growth.rounds[2].mode is GrowthMode.EXPAND and growth.rounds[2].expand >= 1
    assert all(r.closed for r in growth.rounds)
    planned_expansions = sum(r.expand for r in growth.rounds)

    def blueprint(row: dict[str, Any]) -> dict[str, Any]:
        found: dict[str, Any] = row.get("properties") or row["envelope"]["blueprint"]
        return found

    expanded = [
        r for r in accepted + duplicates + rejected if blueprint(r)["seed_mode"] == "pattern"
    ]
    assert len(expanded) == planned_expansions
    first_generation = {r["id"] for r in accepted if blueprint(r)["seed_mode"] is None}
    for row in expanded:
        assert blueprint(row)["parent_id"] in first_generation
    for row in accepted:
        if blueprint(row)["seed_mode"] != "pattern":
            continue
        assert row["generator"] == "expander" and row["cost"]["calls"] == 0
        assert blueprint(row)["expansion"] in {"table", "column", "value"}
        checks = row["validation"]["checks"]
        assert {c["engine"] for c in checks} == {"sqlite", "postgres", "mysql"}
        assert all(c["ok"] for c in checks) and row["validation"]["results_agree"]
    # A variant that was judged reached the dedup service like any sample.
    judged = [r for r in expanded if r in accepted or r in duplicates]
    assert all((r.get("dedup") or r["envelope"].get("dedup")) for r in judged)

    summary = {"growth": growth_summary(run.plan)}
    loaded = load_report_dataset(tmp_path)
    assert loaded.run is not None
    report = compute_growth(
        tmp_path, summary, loaded.records, loaded.run.rejected, loaded.run.duplicates
    )
    assert report is not None and report["explore_expand"] is not None
    modes = report["explore_expand"]["modes"]
    assert modes["expand"]["llm_calls"] == 0
    assert modes["explore"]["accepted"] + modes["expand"]["accepted"] == len(accepted)
    html = render_growth([{"name": "run", "growth": report}])
    assert "Explore / expand by mode" in html and "next round because" in html
