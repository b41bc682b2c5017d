"""SQL-Factory's stopping criterion through the real services: a spec too narrow to stay new
saturates, the sink's status says so, and a run started with until_saturated stops planning
well below its budget with every planned sample finished exactly once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from proto.common import Engine
from shared.runtime.local import LocalStack
from shared.spec import load_spec
from tests.e2e.harness import make_request, run_to_completion, start_services
from tests.e2e.test_pipeline import assert_exactly_once

pytestmark = [pytest.mark.e2e, pytest.mark.engines]
BUDGET = 400


def narrow_spec() -> dict[str, Any]:
    """One small domain, one style, one-table easy lookups with no features: the template
    engine soon has nothing new to say."""
    doc = load_spec(None).to_document()
    fixed: dict[str, dict[str, Any]] = {
        "complexity": {"values": {"easy": 1.0, "medium": 0.0, "hard": 0.0}},
        "task_type": {
            "values": {
                "data retrieval": 1.0,
                "analytics and reporting": 0.0,
                "data manipulation": 0.0,
            }
        },
        "prompt_style": {"values": {"terse_keyword": 1.0}},
        "num_tables": {"values": {"1": 1.0}},
        "join_kind": {"values": {"none": 1.0}},
        # One schema shape: the spec's columns and rows per table would each make another.
        "columns_per_table": {"values": {"6": 1.0}},
        "rows_per_table": {"values": {"12": 1.0}},
    }
    properties = []
    for prop in doc["properties"]:
        base = {key: prop[key] for key in ("name", "description", "type")}
        if prop["name"] in fixed:
            properties.append({**base, **fixed[prop["name"]]})
        elif prop["name"].startswith("uses_") or prop["name"] == "declares_foreign_keys":
            properties.append({**base, "bernoulli": 0.0})
        else:
            properties.append(prop)
    return {**doc, "name": "narrow", "domains": {"library": 1.0}, "properties": properties}


async def test_until_saturated_stops_a_redundant_run(stack: LocalStack, tmp_path: Path) -> None:
    request = make_request(
        BUDGET, spec=narrow_spec(), until_saturated=True, engines=[Engine.SQLITE], max_in_flight=32
    )
    # One schema variant per domain: with the default 24 the library domain alone gives the
    # template engine enough new schemas to stay new past the budget.
    supervisor = start_services(stack, tmp_path, [Engine.SQLITE], {"SQLSYNTH_SCHEMA_VARIANTS": "1"})
    try:
        output = await run_to_completion(stack, supervisor, request, tmp_path, timeout_s=420)
    finally:
        supervisor.stop_all()
    status, plan = output.status, output.plan
    print(
        f"planned {plan.planned} accepted {status.accepted} duplicate {status.duplicate}; "
        f"{plan.saturated_reasons}"
    )
    assert plan.saturated_reasons, (status.saturation, plan)
    assert not plan.exhausted
    # Stopped on the signal, far below the budget, with nothing lost on the way.
    assert plan.planned < BUDGET and status.accepted < BUDGET
    assert status.finished == plan.planned
    assert_exactly_once(output, reached_target=False)
    saturation = status.saturation
    assert saturation.run.window >= 30 and saturation.stop_reasons
    # The final window also holds samples finished after the stop, which dilute it a little:
    # redundant, though not necessarily past the stop rule's own thresholds any more.
    assert saturation.run.duplicate_rate >= 0.4 or saturation.run.mean_sql_similarity >= 0.8
    # The schema the run is stuck on is named, so the planner had something to shift from.
    assert any(name.startswith("library") for name in saturation.redundant_schemas)
