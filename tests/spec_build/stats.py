"""Comparing sampled blueprints with measured and target distributions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scipy.stats import chisquare

from proto.sample import Scalar

ALPHA = 1e-3
MIN_EXPECTED = 5.0


def total_variation(a: Mapping[Any, float], b: Mapping[Any, float]) -> float:
    return 0.5 * sum(abs(a.get(k, 0.0) - b.get(k, 0.0)) for k in set(a) | set(b))


def chi_square_p(observed: Mapping[Scalar, int], expected: Mapping[Any, float]) -> float:
    """p-value of counts against target shares; cells expecting under 5 are pooled."""
    n = sum(observed.values())
    big = [v for v, p in expected.items() if p * n >= MIN_EXPECTED]
    small = [v for v in expected if v not in big]
    f_obs = [observed.get(v, 0) for v in big]
    f_exp = [expected[v] * n for v in big]
    if small:
        f_obs.append(sum(observed.get(v, 0) for v in small))
        f_exp.append(sum(expected[v] for v in small) * n)
    scale = sum(f_obs) / sum(f_exp)  # rounding of the spec's 4-decimal shares
    return float(chisquare(f_obs, [e * scale for e in f_exp]).pvalue)
