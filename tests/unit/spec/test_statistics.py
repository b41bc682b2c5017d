"""Realised distributions match the spec's targets (chi-square on thousands of draws)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from scipy.stats import kstest, truncnorm

from proto.sample import Blueprint
from shared.spec import (
    BlueprintSampler,
    Spec,
    Value,
    acceptance_rate,
    build_spec,
    expected_distribution,
    marginals,
    realised_counts,
    realised_distribution,
)
from tests.unit.spec.helpers import ALPHA, assert_fits, fit_pvalue

MARGINALS = [
    "domain",
    "complexity",
    "task_type",
    "prompt_style",
    "num_tables",
    "join_kind",
    "uses_aggregate",
    "uses_group_by",
    "uses_having",
    "uses_limit",
    "uses_cte",
    "uses_window_function",
    "columns_per_table",
    "rows_per_table",
    "declares_foreign_keys",
    "sql_complexity",
]


@pytest.mark.parametrize("prop", MARGINALS)
def test_marginal_fits_target(spec: Spec, draws: list[Blueprint], prop: str) -> None:
    assert_fits(realised_counts(draws, prop), expected_distribution(spec, prop))


@pytest.mark.parametrize("tables", [2, 3, 4, 5])
def test_join_kind_given_num_tables_fits_target(
    spec: Spec, draws: list[Blueprint], tables: int
) -> None:
    subset = [b for b in draws if b.num_tables == tables]
    target = expected_distribution(spec, "join_kind", given={"num_tables": tables})
    # No rejection in the default spec, so the target is the declared row of the table.
    declared = spec.by_name["join_kind"].distribution_for({"num_tables": tables})
    assert target == pytest.approx(dict(declared.support()))
    assert_fits(realised_counts(subset, "join_kind"), target)


@pytest.mark.parametrize("level", ["easy", "medium", "hard"])
def test_num_tables_given_complexity_fits_target(
    spec: Spec, draws: list[Blueprint], level: str
) -> None:
    subset = [b for b in draws if b.complexity.value == level]
    target = expected_distribution(spec, "num_tables", given={"complexity": level})
    assert_fits(realised_counts(subset, "num_tables"), target)


def test_chi_square_detects_a_wrong_target(spec: Spec, draws: list[Blueprint]) -> None:
    # The check has teeth: shifting 3 points between two join kinds is caught at 8000 draws.
    target = expected_distribution(spec, "join_kind")
    wrong = dict(target) | {"inner": target["inner"] - 0.03, "left": target["left"] + 0.03}
    assert fit_pvalue(realised_counts(draws, "join_kind"), wrong) < ALPHA


def test_realised_distribution_is_shares_of_counts(draws: list[Blueprint]) -> None:
    counts = realised_counts(draws, "complexity")
    shares = realised_distribution(draws, "complexity")
    assert sum(shares.values()) == pytest.approx(1.0)
    assert shares == {v: n / len(draws) for v, n in counts.items()}
    assert list(shares.values()) == sorted(shares.values(), reverse=True)


def _spec(properties: list[dict[str, Any]], constraints: list[dict[str, Any]]) -> Spec:
    return build_spec({"domains": ["retail"], "properties": properties, "constraints": constraints})


def test_target_accounts_for_rejection_exactly() -> None:
    # Joint of (a, b) is uniform; forbidding (x, True) leaves three equal cells, so P(a=x) = 1/3.
    spec = _spec(
        [{"name": "a", "values": {"x": 0.5, "y": 0.5}}, {"name": "b", "bernoulli": 0.5}],
        [{"name": "cut", "forbid": {"a": "x", "b": True}}],
    )
    assert acceptance_rate(spec) == pytest.approx(0.75)
    assert expected_distribution(spec, "a") == pytest.approx({"x": 1 / 3, "y": 2 / 3})
    assert expected_distribution(spec, "b", given={"a": "y"}) == pytest.approx(
        {True: 0.5, False: 0.5}
    )


def test_constrained_spec_fits_its_conditioned_target() -> None:
    # Hard queries must use a CTE or a window function: the constraint binds (~10% rejected).
    spec = _spec(
        [
            {"name": "complexity", "values": {"easy": 0.3, "medium": 0.4, "hard": 0.3}},
            {"name": "uses_cte", "depends_on": ["complexity"], "conditional": {"*": 0.3}},
            {
                "name": "uses_window_function",
                "depends_on": ["complexity", "uses_cte"],
                "conditional": {"*": {"*": 0.4}},
            },
        ],
        [
            {
                "name": "hard_is_advanced",
                "forbid": {"complexity": "hard", "uses_cte": False, "uses_window_function": False},
            }
        ],
    )
    assert acceptance_rate(spec) == pytest.approx(1 - 0.3 * 0.7 * 0.6)
    blueprints = BlueprintSampler(spec, seed=9).draw_many(6000)
    for prop in ("complexity", "uses_cte", "uses_window_function"):
        assert_fits(realised_counts(blueprints, prop), expected_distribution(spec, prop))
    # ... and the unconditioned declared marginal is (rightly) rejected.
    declared: dict[Value, float] = {"easy": 0.3, "medium": 0.4, "hard": 0.3}
    assert fit_pvalue(realised_counts(blueprints, "complexity"), declared) < ALPHA


def test_continuous_ranges_follow_their_shape() -> None:
    spec = _spec(
        [
            {"name": "share", "range": {"min": 0.5, "max": 2.5}},
            {
                "name": "weight",
                "range": {"min": 0.0, "max": 10.0, "distribution": "normal", "mean": 3, "std": 2},
            },
        ],
        [],
    )
    rng = np.random.default_rng(4)
    values = [spec.sample_values(rng) for _ in range(4000)]
    shares = [float(v["share"]) for v in values]
    weights = [float(v["weight"]) for v in values]
    assert kstest(shares, "uniform", args=(0.5, 2.0)).pvalue > ALPHA
    bounded = truncnorm(a=(0 - 3) / 2, b=(10 - 3) / 2, loc=3, scale=2)
    assert kstest(weights, bounded.cdf).pvalue > ALPHA
    with pytest.raises(ValueError, match="continuous"):
        expected_distribution(spec, "share")


def test_targets_are_estimated_when_the_joint_is_too_large(
    spec: Spec, monkeypatch: pytest.MonkeyPatch
) -> None:
    exact = expected_distribution(spec, "sql_complexity")
    monkeypatch.setattr(marginals, "ENUMERATION_LIMIT", 5)
    monkeypatch.setattr(marginals, "ESTIMATE_DRAWS", 10_000)
    report = marginals.analyse_rejection(spec)
    assert (report.exact, report.any_rejected, report.acceptance) == (False, False, 1.0)
    estimate = expected_distribution(spec, "sql_complexity")
    assert list(estimate) == list(exact)
    assert estimate == pytest.approx(exact, abs=0.02)
