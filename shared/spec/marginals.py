"""Target distributions of a spec (exact, by enumeration) and realised ones (from blueprints).

The sampler rejects draws that break a coherence rule or a constraint, so the target of a
property is its distribution *conditioned on acceptance*. We enumerate the joint of the
properties involved (ancestors included), dropping each property as soon as nothing later
needs it, so the joint stays small; beyond `ENUMERATION_LIMIT` states we estimate instead.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from proto.sample import Blueprint, Scalar
from shared.spec.model import Spec, Value
from shared.spec.rules import (
    SQL_COMPLEXITY_INPUTS,
    SQL_COMPLEXITY_LABELS,
    label_values,
    list_rejecting_properties,
    list_violations,
)

SQL_COMPLEXITY = "sql_complexity"
ENUMERATION_LIMIT = 200_000
ESTIMATE_DRAWS = 50_000

Joint = dict[tuple[Value, ...], float]


class TooLarge(Exception):
    """The joint has more states than we enumerate."""


def enumerate_joint(
    spec: Spec, keep: Collection[str], limit: int | None = None
) -> tuple[tuple[str, ...], Joint]:
    """The exact joint of `keep` (probability > 0 states only), ancestors summed out."""
    limit = ENUMERATION_LIMIT if limit is None else limit
    closure = spec.ancestors(set(keep))
    names = [n for n in spec.order if n in closure]
    variables: list[str] = []
    states: Joint = {(): 1.0}
    for step, name in enumerate(names):
        prop = spec.by_name[name]
        positions = [variables.index(p) for p in prop.depends_on]
        supports: dict[tuple[Value, ...], list[tuple[Value, float]]] = {}
        grown: Joint = {}
        for state, p in states.items():
            key = tuple(state[i] for i in positions)
            if key not in supports:
                parents = dict(zip(prop.depends_on, key, strict=True))
                supports[key] = prop.distribution_for(parents).support()
            for value, q in supports[key]:
                grown[(*state, value)] = grown.get((*state, value), 0.0) + p * q
        variables.append(name)
        needed = set(keep) | {
            p for later in names[step + 1 :] for p in spec.by_name[later].depends_on
        }
        kept = [i for i, v in enumerate(variables) if v in needed]
        if len(kept) < len(variables):
            merged: Joint = {}
            for state, p in grown.items():
                short = tuple(state[i] for i in kept)
                merged[short] = merged.get(short, 0.0) + p
            grown, variables = merged, [variables[i] for i in kept]
        if len(grown) > limit:
            raise TooLarge(f"more than {limit} combinations after {name}")
        states = grown
    return tuple(variables), states


@dataclass
class RejectionReport:
    """How constraints and coherence rules cut the spec's joint distribution."""

    acceptance: float
    exact: bool
    any_rejected: bool
    # rule or constraint name -> probability mass of draws it rejects
    rejected_by: dict[str, float] = field(default_factory=dict)
    # (property, value, rules that reject it): values with prior mass but none once accepted
    impossible: list[tuple[str, Value, list[str]]] = field(default_factory=list)


def analyse_rejection(spec: Spec) -> RejectionReport:
    rejecting = list_rejecting_properties(spec)
    keep = spec.ancestors(rejecting)
    try:
        variables, states = enumerate_joint(spec, keep)
    except TooLarge:
        return _estimate_rejection(spec)
    report = RejectionReport(acceptance=0.0, exact=True, any_rejected=False)
    prior: dict[tuple[str, Value], float] = {}
    accepted: dict[tuple[str, Value], float] = {}
    culprits: dict[tuple[str, Value], set[str]] = {}
    for state, p in states.items():
        values = dict(zip(variables, state, strict=True))
        broken = list_violations(spec, values)
        for item in values.items():
            prior[item] = prior.get(item, 0.0) + p
            if broken:
                culprits.setdefault(item, set()).update(broken)
            else:
                accepted[item] = accepted.get(item, 0.0) + p
        for name in broken:
            report.rejected_by[name] = report.rejected_by.get(name, 0.0) + p
        report.any_rejected |= bool(broken)
        report.acceptance += 0.0 if broken else p
    report.impossible = [
        (name, value, sorted(culprits.get((name, value), set())))
        for (name, value) in prior
        if (name, value) not in accepted
    ]
    return report


def _estimate_rejection(spec: Spec) -> RejectionReport:
    rng = np.random.default_rng(0)
    kept, rejected_by = 0, Counter[str]()
    for _ in range(ESTIMATE_DRAWS):
        broken = list_violations(spec, spec.sample_values(rng))
        rejected_by.update(broken)
        kept += not broken
    return RejectionReport(
        acceptance=kept / ESTIMATE_DRAWS,
        exact=False,
        any_rejected=kept < ESTIMATE_DRAWS,
        rejected_by={name: n / ESTIMATE_DRAWS for name, n in rejected_by.items()},
    )


def acceptance_rate(spec: Spec) -> float:
    """The share of unconstrained draws the sampler keeps."""
    return analyse_rejection(spec).acceptance


def _order(spec: Spec, prop: str, shares: Mapping[Value, float]) -> dict[Value, float]:
    if prop == SQL_COMPLEXITY:
        canonical: list[Value] = list(SQL_COMPLEXITY_LABELS)
    else:
        canonical = spec.by_name[prop].declared()
    ordered = {v: shares[v] for v in canonical if shares.get(v, 0.0) > 0}
    return ordered | {v: p for v, p in shares.items() if v not in ordered and p > 0}


def _label(prop: str, values: Mapping[str, Value]) -> Value:
    return label_values(values) if prop == SQL_COMPLEXITY else values[prop]


def expected_distribution(
    spec: Spec, prop: str, given: Mapping[str, Value] | None = None
) -> dict[Value, float]:
    """The target distribution of `prop` (optionally given other values), after rejection.

    `prop` is a discrete spec property or "sql_complexity" (derived from the features).
    """
    if prop != SQL_COMPLEXITY and prop not in spec.by_name:
        raise KeyError(f"unknown property {prop!r}")
    if prop in spec.by_name and spec.by_name[prop].continuous:
        raise ValueError(f"{prop} is continuous: it has no discrete distribution")
    given = dict(given or {})
    targets = {prop} if prop != SQL_COMPLEXITY else set(SQL_COMPLEXITY_INPUTS) & set(spec.by_name)
    targets |= set(given)
    rejects = analyse_rejection(spec).any_rejected
    if rejects:
        targets |= list_rejecting_properties(spec)
    shares: dict[Value, float] = {}
    try:
        variables, states = enumerate_joint(spec, targets)
        draws: Iterable[tuple[dict[str, Value], float]] = (
            (dict(zip(variables, s, strict=True)), p) for s, p in states.items()
        )
    except TooLarge:
        rng = np.random.default_rng(0)
        draws = ((spec.sample_values(rng), 1.0) for _ in range(ESTIMATE_DRAWS))
    for values, p in draws:
        if rejects and list_violations(spec, values):
            continue
        if any(values.get(k) != v for k, v in given.items()):
            continue
        label = _label(prop, values)
        shares[label] = shares.get(label, 0.0) + p
    total = sum(shares.values())
    if total <= 0:
        raise ValueError(f"no accepted draw has {given}")
    return _order(spec, prop, {v: p / total for v, p in shares.items()})


def _read(blueprint: Blueprint, prop: str) -> Scalar:
    if prop == SQL_COMPLEXITY:
        return blueprint.sql_complexity
    return blueprint.properties.get(prop)


def realised_counts(blueprints: Iterable[Blueprint], prop: str) -> dict[Scalar, int]:
    """How many blueprints took each value of `prop` (None: the property was not sampled)."""
    return dict(Counter(_read(b, prop) for b in blueprints))


def realised_distribution(blueprints: Iterable[Blueprint], prop: str) -> dict[Scalar, float]:
    """The share of blueprints per value of `prop`, most common first."""
    counts = Counter(_read(b, prop) for b in blueprints)
    total = sum(counts.values())
    return {value: n / total for value, n in counts.most_common()} if total else {}
