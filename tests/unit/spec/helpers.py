"""Statistical helpers for the spec tests: chi-square goodness of fit on realised counts."""

from __future__ import annotations

from collections.abc import Mapping

from scipy.stats import chisquare

from proto.sample import Scalar
from shared.spec import Value

# Seeds are fixed, so each test is deterministic; alpha bounds how unlikely a pass by luck is.
ALPHA = 1e-3
MIN_EXPECTED = 5.0


def fit_pvalue(observed: Mapping[Scalar, int], expected: Mapping[Value, float]) -> float:
    """The chi-square p-value of counts against target shares (cells under 5 pooled)."""
    unknown = set(observed) - set(expected)
    assert not unknown, f"values outside the target's support: {unknown}"
    n = sum(observed.values())
    total = sum(expected.values())
    big = [v for v in expected if expected[v] / total * n >= MIN_EXPECTED]
    small = [v for v in expected if v not in big]
    f_obs = [observed.get(v, 0) for v in big]
    f_exp = [expected[v] / total * n for v in big]
    if small:
        f_obs.append(sum(observed.get(v, 0) for v in small))
        f_exp.append(sum(expected[v] for v in small) / total * n)
    assert len(f_obs) >= 2, "need at least two cells for a chi-square test"
    return float(chisquare(f_obs, f_exp).pvalue)


def assert_fits(observed: Mapping[Scalar, int], expected: Mapping[Value, float]) -> None:
    pvalue = fit_pvalue(observed, expected)
    assert pvalue > ALPHA, f"chi-square p={pvalue:.2e}: observed {dict(observed)} vs {expected}"
