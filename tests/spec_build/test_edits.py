"""Applying the model's edits to a spec document."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from shared.spec import default_spec, validate_spec
from shared.spec.edits import SpecEdit, apply_edits


def edit(**fields: Any) -> SpecEdit:
    return SpecEdit.model_validate({"why": "because", **fields})


@pytest.fixture
def document() -> dict[str, Any]:
    return copy.deepcopy(default_spec().to_document())


def test_conditional_branches_become_nested_mappings(document: dict[str, Any]) -> None:
    branches = [
        {"when": ["1"], "values": [{"value": "none", "probability": 1.0}]},
        {
            "when": ["*"],
            "values": [
                {"value": "inner", "probability": 0.6},
                {"value": "left", "probability": 0.3},
                {"value": "cross", "probability": 0.1},
            ],
        },
    ]
    edited, applied, problems = apply_edits(
        document,
        [
            edit(
                op="add_conditional",
                target="join_kind",
                depends_on=["num_tables"],
                branches=branches,
            )
        ],
    )
    assert problems == [] and len(applied) == 1
    join = next(p for p in edited["properties"] if p["name"] == "join_kind")
    assert join["conditional"]["*"] == {"values": {"inner": 0.6, "left": 0.3, "cross": 0.1}}
    assert join["evidence"]["objectives"] == ["because"]
    assert validate_spec(edited) == []
    assert document != edited  # the input is not modified


def test_near_one_sums_are_renormalised_far_ones_reported(document: dict[str, Any]) -> None:
    near = [
        {"value": "easy", "probability": 0.333},
        {"value": "medium", "probability": 0.333},
        {"value": "hard", "probability": 0.333},
    ]
    edited, _, _ = apply_edits(
        document, [edit(op="set_distribution", target="complexity", values=near)]
    )
    assert validate_spec(edited) == []
    far = [{"value": "easy", "probability": 0.5}, {"value": "hard", "probability": 0.3}]
    edited, _, _ = apply_edits(
        document, [edit(op="set_distribution", target="complexity", values=far)]
    )
    assert any("sum to 0.8" in p for p in validate_spec(edited))


def test_edits_that_cannot_apply_are_reported_and_others_applied(document: dict[str, Any]) -> None:
    edits = [
        edit(op="set_distribution", target="no_such_property", bernoulli=0.5),
        edit(op="add_property", target="uses_cte", bernoulli=0.5),
        edit(op="remove_constraint", target="portable_joins"),
        edit(
            op="add_constraint",
            target="no_hard_single",
            description="hard reads 2+ tables",
            forbid=[
                {"property": "complexity", "values": ["hard"]},
                {"property": "num_tables", "values": ["1"]},
            ],
        ),
        edit(op="set_domains", target="domains", domains=[{"name": "retail", "weight": 1}]),
        edit(
            op="add_property",
            target="nesting_depth",
            type="int",
            range={"min": 0, "max": 3, "distribution": "uniform"},
        ),
    ]
    edited, applied, problems = apply_edits(document, edits)
    assert len(problems) == 2
    assert "no_such_property" in problems[0] and "exists" in problems[1]
    assert [e.target for e in applied] == [
        "portable_joins",
        "no_hard_single",
        "domains",
        "nesting_depth",
    ]
    assert [c["name"] for c in edited["constraints"]] == ["easy_is_small", "no_hard_single"]
    assert edited["domains"] == {"retail": 1}
    assert validate_spec(edited) == []


def test_wrong_branch_shapes_are_reported(document: dict[str, Any]) -> None:
    bad = edit(
        op="add_conditional",
        target="uses_cte",
        depends_on=["complexity", "num_tables"],
        branches=[{"when": ["easy"], "bernoulli": 0.1}],
    )
    _, applied, problems = apply_edits(document, [bad])
    assert applied == [] and "one value per depends_on" in problems[0]
