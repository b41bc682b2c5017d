"""Specs measured from the real Gretel sample and Spider dev: valid, and they reproduce the seeds.

"Seeds define the distribution you want to match" (DataFramer): 5,000 blueprints drawn from the
spec must show the measured distribution of every headline property and feature, up to
sampling noise and the small smoothing the spec adds.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from proto.common import SqlFeature
from proto.sample import Blueprint
from shared.spec import (
    Spec,
    build_spec,
    expected_distribution,
    realised_counts,
    realised_distribution,
    validate_spec,
)
from shared.spec.from_seeds import SeedSpec, spec_from_seeds
from shared.spec.rules import feature_property
from shared.spec.seed_measure import measured_shares
from shared.spec.spec_yaml import dump_spec_yaml
from shared.spec.support import flag_unsupported
from tests.spec_build.stats import ALPHA, chi_square_p, total_variation

HEADLINE = ["complexity", "task_type", "prompt_style", "num_tables", "join_kind"]
FEATURES = [feature_property(f) for f in SqlFeature]
# Sampling noise of 5,000 draws (TVD ~0.01 over 6 values) plus add-alpha smoothing.
MAX_TVD = 0.03
MAX_FEATURE_GAP = 0.02


@pytest.mark.parametrize("which", ["gretel_built", "spider_built"])
def test_measured_spec_validates(which: str, request: pytest.FixtureRequest) -> None:
    built: SeedSpec = request.getfixturevalue(which)
    text = dump_spec_yaml(built.document)
    assert validate_spec(yaml.safe_load(text)) == []
    assert len(built.document["properties"]) == len(build_spec(yaml.safe_load(text)).properties)


@pytest.mark.parametrize(
    ("built_name", "draws_name"),
    [("gretel_built", "gretel_draws"), ("spider_built", "spider_draws")],
)
def test_draws_reproduce_the_measured_distributions(
    built_name: str, draws_name: str, request: pytest.FixtureRequest
) -> None:
    built: SeedSpec = request.getfixturevalue(built_name)
    draws: list[Blueprint] = request.getfixturevalue(draws_name)
    for name in HEADLINE:
        measured = measured_shares(built.seeds, name)
        realised = realised_distribution(draws, name)
        assert total_variation(measured, realised) < MAX_TVD, (name, measured, realised)
    for name in FEATURES:
        measured_p = measured_shares(built.seeds, name).get(True, 0.0)
        realised_p = realised_distribution(draws, name).get(True, 0.0)
        assert abs(measured_p - realised_p) < MAX_FEATURE_GAP, (name, measured_p, realised_p)


@pytest.mark.parametrize("name", HEADLINE)
def test_draws_fit_the_spec_exactly(
    name: str, gretel_spec: Spec, gretel_draws: list[Blueprint]
) -> None:
    expected = expected_distribution(gretel_spec, name)
    observed = realised_counts(gretel_draws, name)
    assert set(observed) <= set(expected)
    assert chi_square_p(observed, expected) > ALPHA


def test_evidence_holds_the_counts(gretel_built: SeedSpec) -> None:
    seeds = gretel_built.seeds
    by_name = {p["name"]: p for p in gretel_built.document["properties"]}
    complexity = by_name["complexity"]["evidence"]
    assert sum(complexity["counts"].values()) == seeds.total == complexity["seeds"]
    joins = by_name["join_kind"]["evidence"]["counts"]
    assert sum(sum(branch.values()) for branch in joins.values()) == seeds.total
    top = gretel_built.document["evidence"]
    assert top["measured"] == seeds.total
    assert sum(top["excluded"].values()) == 8  # Gretel's 6 CREATE and 2 ALTER statements


def test_definitional_zeros_and_smoothing(gretel_built: SeedSpec) -> None:
    by_name = {p["name"]: p for p in gretel_built.document["properties"]}
    # Easy queries read one table and never aggregate (SENSE), so no smoothing there.
    assert by_name["num_tables"]["conditional"]["easy"][1] == 1.0
    assert by_name["task_type"]["conditional"]["easy"]["analytics and reporting"] == 0.0
    assert by_name["uses_cte"]["conditional"]["easy"] == 0.0
    # Never seen in Gretel, but allowed: smoothing keeps it possible.
    assert by_name["prompt_style"]["values"]["conversational"] > 0
    assert by_name["num_tables"]["conditional"]["hard"][5] > 0


def test_strict_gives_zero_to_values_never_seen(spider_path: Path) -> None:
    strict = spec_from_seeds(spider_path, strict=True)
    smoothed = spec_from_seeds(spider_path)
    assert validate_spec(strict.document) == []
    spec_strict, spec_smoothed = (
        build_spec(strict.document),
        build_spec(smoothed.document),
    )
    # Spider has no INSERT/UPDATE/DELETE and no query over 5 tables.
    assert expected_distribution(spec_strict, "task_type").get("data manipulation", 0.0) == 0.0
    assert expected_distribution(spec_smoothed, "task_type")["data manipulation"] > 0
    assert 5 not in expected_distribution(spec_strict, "num_tables")


def test_right_and_full_joins_are_flagged_and_kept_out(gretel_built: SeedSpec) -> None:
    assert any("RIGHT or FULL" in note for note in gretel_built.notes)
    names = [c["name"] for c in gretel_built.document["constraints"]]
    assert "portable_joins" in names
    spec = build_spec(gretel_built.document)
    assert flag_unsupported(spec) == []
    assert {"right", "full"}.isdisjoint(expected_distribution(spec, "join_kind"))
