"""Estimating spec distributions from measured seeds: add-alpha marginals, conditionals shrunk
toward their pooled estimate, structural zeros where a level's definition excludes a value.

Each `Builder` method returns one property entry of a spec document with its `evidence` (the
weighted counts behind the probabilities). shared.spec.from_seeds assembles them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from statistics import fmean, pstdev
from typing import Any

from proto.common import Complexity, JoinKind, PromptStyle, SqlFeature, TaskType
from shared.spec.model import WILDCARD, Value
from shared.spec.question_lead import Lead
from shared.spec.rules import NO_JOIN, feature_property
from shared.spec.seed_measure import NOT_EASY, Measured, SeedMeasurements
from shared.spec.validate import default_spec

ALPHA = 0.5
PRIOR_STRENGTH = 4.0
DECIMALS = 4
SMALLEST = 10.0**-DECIMALS
# DataFramer asks for 3-5 tables, so 1..5 are always allowed values (more when seeds have more).
MIN_TABLE_SPAN = 5
MAX_COLUMNS = 40
LEVELS = [c.value for c in Complexity]
TASKS = [t.value for t in TaskType]
JOINED_KINDS = [JoinKind.INNER.value, JoinKind.LEFT.value, JoinKind.CROSS.value]
# Features that need another: (feature, parent property it is conditioned on).
NEEDS = {
    SqlFeature.GROUP_BY: SqlFeature.AGGREGATE,
    SqlFeature.HAVING: SqlFeature.GROUP_BY,
    SqlFeature.LIMIT: SqlFeature.ORDER_BY,
}

Counts = Mapping[Value, float]
Shares = dict[Value, float]


@dataclass(frozen=True)
class Smoothing:
    alpha: float = ALPHA
    strength: float = PRIOR_STRENGTH

    @classmethod
    def choose(cls, strict: bool) -> Smoothing:
        return cls(0.0, 0.0) if strict else cls()


def estimate(counts: Counts, allowed: Sequence[Value], alpha: float) -> Shares:
    """Add-alpha estimate over `allowed` (uniform when there is nothing to go on)."""
    total = sum(counts.get(v, 0) for v in allowed) + alpha * len(allowed)
    if total <= 0:
        return {v: 1.0 / len(allowed) for v in allowed}
    return {v: (counts.get(v, 0) + alpha) / total for v in allowed}


def shrink(counts: Counts, prior: Shares, strength: float) -> Shares:
    """A branch's estimate pulled toward `prior` by `strength` pseudo-seeds."""
    n = sum(counts.get(v, 0) for v in prior)
    if n + strength <= 0:
        return dict(prior)
    return {v: (counts.get(v, 0) + strength * p) / (n + strength) for v, p in prior.items()}


def restrict(prior: Shares, allowed: Sequence[Value]) -> Shares:
    kept = {v: prior.get(v, 0.0) for v in allowed}
    total = sum(kept.values())
    return {v: p / total for v, p in kept.items()} if total > 0 else estimate({}, allowed, 1.0)


def round_shares(shares: Shares) -> Shares:
    """Four decimals summing to exactly 1; a positive share never rounds to 0."""
    rounded = {v: (max(round(p, DECIMALS), SMALLEST) if p > 0 else 0.0) for v, p in shares.items()}
    largest = max(rounded, key=lambda v: rounded[v])
    rounded[largest] = round(rounded[largest] + 1.0 - sum(rounded.values()), DECIMALS)
    return rounded


def round_p(p: float, smoothed: bool) -> float:
    value = round(p, DECIMALS)
    if smoothed and 0 < p < 1:
        value = min(max(value, SMALLEST), 1 - SMALLEST)
    return value


def tally(rows: Sequence[Measured], read: Callable[[Measured], Value | None]) -> Counter[Value]:
    counts: Counter[Value] = Counter()
    for row in rows:
        value = read(row)
        if value is not None:
            counts[value] += row.weight
    return counts


# The default spec's descriptions, except where they quote the default's own numbers.
DESCRIPTIONS = {
    "complexity": "SENSE's level, measured: easy = one table, no aggregate, grouping or "
    "advanced feature; medium = a join, an aggregate or one advanced feature; hard = two or "
    "more advanced features (CTE, set operation, window, subquery, HAVING; 3+ tables count).",
    "task_type": "From the statement: SELECT with an aggregate = analytics, without = "
    "retrieval; INSERT/UPDATE/DELETE = manipulation; DDL excluded.",
    "num_tables": "Distinct tables the query reads (easy queries read one).",
    "join_kind": "The query's distinguishing join - inner means every join is inner; left or "
    "cross means at least one such join (RIGHT and FULL counted as left).",
    "uses_aggregate": "An aggregate function (COUNT, SUM, AVG, MIN, MAX): every analytics "
    "query, no retrieval query.",
    "columns_per_table": "Columns of each table the seeds' queries read, from their schemas.",
    "declares_primary_keys": "The schema's tables declare PRIMARY KEY.",
    "stated_filters": "Conditions the outermost WHERE of a SELECT states (2 = two or more), "
    "given complexity; the template engine states as many filters of its own.",
    "question_lead": "How the seeds' questions open (what, which, how many, list, show ...), "
    "given their prompt style; generated questions open the same way.",
}


def describe(name: str) -> str:
    if name in DESCRIPTIONS:
        return DESCRIPTIONS[name]
    prop = default_spec().by_name.get(name)
    return prop.description if prop is not None else ""


def shrink_p(hits: float, n: float, pooled: float, smoothing: Smoothing) -> float:
    """A Bernoulli branch (`hits` of `n`) pulled toward `pooled`; the pool when n is 0."""
    if n + smoothing.strength <= 0:
        return round_p(pooled, smoothing.alpha > 0)
    p = (hits + smoothing.strength * pooled) / (n + smoothing.strength)
    return round_p(p, smoothing.alpha > 0)


def pool_p(hits: float, n: float, smoothing: Smoothing) -> float:
    total = n + 2 * smoothing.alpha
    return (hits + smoothing.alpha) / total if total > 0 else 0.0


class Builder:
    """Property entries of the spec document, estimated from one set of measured seeds."""

    def __init__(self, seeds: SeedMeasurements, smoothing: Smoothing) -> None:
        self.rows = seeds.rows
        self.smooth = smoothing
        self.levels = tally(self.rows, lambda r: r.complexity)
        high = max((r.num_tables for r in self.rows), default=1)
        self.table_values: list[Value] = list(range(1, max(MIN_TABLE_SPAN, high) + 1))

    def where(self, **wanted: Value) -> list[Measured]:
        return [r for r in self.rows if all(getattr(r, k) == v for k, v in wanted.items())]

    def entry(self, name: str, body: dict[str, Any], evidence: dict[str, Any]) -> dict[str, Any]:
        return {"name": name, "description": describe(name), **body, "evidence": evidence}

    def complexity(self) -> dict[str, Any]:
        shares = estimate(self.levels, LEVELS, self.smooth.alpha)
        evidence = {"seeds": sum(self.levels.values()), "counts": _ordered(self.levels, LEVELS)}
        return self.entry("complexity", {"values": round_shares(shares)}, evidence)

    def categorical_given_complexity(
        self,
        name: str,
        values: Sequence[Value],
        read: Callable[[Measured], Value | None],
        allowed_at: Callable[[str], Sequence[Value]],
    ) -> dict[str, Any]:
        """`name` given complexity: a pooled add-alpha estimate, shrunk per level."""
        pooled = estimate(tally(self.rows, read), values, self.smooth.alpha)
        branches: dict[Value, Any] = {}
        counts: dict[Value, Any] = {}
        for level in LEVELS:
            observed = tally(self.where(complexity=level), read)
            prior = restrict(pooled, allowed_at(level))
            branch = shrink(observed, prior, self.smooth.strength)
            branches[level] = round_shares({v: branch.get(v, 0.0) for v in values})
            counts[level] = _ordered(observed, values)
        evidence = {"seeds": sum(self.levels.values()), "counts": counts}
        body = {"depends_on": ["complexity"], "conditional": branches}
        return self.entry(name, body, evidence)

    def task_type(self) -> dict[str, Any]:
        # Analytics means an aggregate, which an easy query never has (SENSE's levels).
        def allowed(level: str) -> Sequence[Value]:
            return [t for t in TASKS if not (level == "easy" and t == TaskType.ANALYTICS.value)]

        return self.categorical_given_complexity("task_type", TASKS, lambda r: r.task_type, allowed)

    def num_tables(self) -> dict[str, Any]:
        values = self.table_values

        def allowed(level: str) -> Sequence[Value]:
            return [1] if level == "easy" else values

        return self.categorical_given_complexity(
            "num_tables", values, lambda r: r.num_tables, allowed
        )

    def join_kind(self) -> dict[str, Any]:
        joined = [r for r in self.rows if r.num_tables >= 2]
        pooled = estimate(tally(joined, lambda r: r.join_kind), JOINED_KINDS, self.smooth.alpha)
        branches: dict[Value, Any] = {1: {NO_JOIN: 1.0}}
        counts: dict[Value, Any] = {1: dict(tally(self.where(num_tables=1), lambda r: r.join_kind))}
        for tables in self.table_values[1:]:
            observed = tally(self.where(num_tables=tables), lambda r: r.join_kind)
            branches[tables] = round_shares(shrink(observed, pooled, self.smooth.strength))
            counts[tables] = _ordered(observed, JOINED_KINDS)
        evidence = {"seeds": sum(r.weight for r in self.rows), "counts": counts}
        body = {"depends_on": ["num_tables"], "conditional": branches}
        return self.entry("join_kind", body, evidence)

    def prompt_style(self) -> dict[str, Any]:
        styles: list[Value] = [s.value for s in PromptStyle]
        observed = tally(self.rows, lambda r: r.prompt_style)
        if not observed:
            default = default_spec().by_name["prompt_style"].to_document()
            evidence = {"seeds": 0, "note": "no seed has a question: the default spec's styles"}
            return self.entry("prompt_style", {"values": default["values"]}, evidence)
        shares = round_shares(estimate(observed, styles, self.smooth.alpha))
        evidence = {"seeds": sum(observed.values()), "counts": _ordered(observed, styles)}
        return self.entry("prompt_style", {"values": shares}, evidence)

    def stated_filters(self) -> dict[str, Any] | None:
        """How many conditions a SELECT's WHERE states, given complexity (None when no seed
        is a SELECT): most Spider questions state none, and each condition costs a phrase."""
        if not any(r.filters is not None for r in self.rows):
            return None
        values: list[Value] = [0, 1, 2]
        return self.categorical_given_complexity(
            "stated_filters", values, lambda r: r.filters, lambda level: values
        )

    def question_lead(self) -> dict[str, Any] | None:
        """How questions open, given their style (None when no seed has a question): the
        realizer opens generated questions the same way (seed 001's style references)."""
        asked = [r for r in self.rows if r.lead and r.prompt_style]
        if not asked:
            return None
        leads: list[Value] = [lead.value for lead in Lead]
        branches: dict[Value, Any] = {}
        counts: dict[Value, Any] = {}
        for style in PromptStyle:
            observed = tally([r for r in asked if r.prompt_style == style.value], lambda r: r.lead)
            if observed:
                branches[style.value] = round_shares(estimate(observed, leads, 0.0))
                counts[style.value] = _ordered(observed, leads)
            else:
                branches[style.value] = {Lead.OTHER.value: 1.0}
        evidence = {"seeds": sum(r.weight for r in asked), "counts": counts}
        body = {"depends_on": ["prompt_style"], "conditional": branches}
        return self.entry("question_lead", body, evidence)

    def feature(self, feature: SqlFeature) -> dict[str, Any]:
        """P(feature | complexity), or | (needed feature, complexity) for GROUP BY, HAVING,
        LIMIT; 0 where the level's definition or a coherence rule excludes it."""
        name = feature_property(feature)
        needed = NEEDS.get(feature)
        rows = [r for r in self.rows if needed is None or needed in r.features]
        if feature is SqlFeature.AGGREGATE:
            return self.aggregate()
        pool_rows = [r for r in rows if not (r.complexity == "easy" and feature in NOT_EASY)]
        hits = sum(r.weight for r in pool_rows if feature in r.features)
        total = sum(r.weight for r in pool_rows)
        pooled = pool_p(hits, total, self.smooth)
        branches: dict[Value, Any] = {}
        counts: dict[Value, Any] = {}
        for level in LEVELS:
            level_rows = [r for r in rows if r.complexity == level]
            k = sum(r.weight for r in level_rows if feature in r.features)
            n = sum(r.weight for r in level_rows)
            counts[level] = {True: k, False: n - k}
            if level == "easy" and feature in NOT_EASY:
                branches[level] = 0.0
                continue
            branches[level] = shrink_p(k, n, pooled, self.smooth)
        if needed is None:
            body = {"depends_on": ["complexity"], "conditional": branches}
            evidence: dict[str, Any] = {"seeds": sum(self.levels.values()), "counts": counts}
        else:
            body = {
                "depends_on": [feature_property(needed), "complexity"],
                "conditional": {False: {WILDCARD: 0.0}, True: branches},
            }
            evidence = {"seeds": total, "counts": {True: counts}}
            evidence["note"] = f"only with {feature_property(needed)} (a coherence rule)"
        return self.entry(name, body, evidence)

    def aggregate(self) -> dict[str, Any]:
        """By definition analytics aggregates and retrieval does not; manipulation varies."""
        rows = self.where(task_type=TaskType.MANIPULATION.value)
        has = SqlFeature.AGGREGATE
        hits = sum(r.weight for r in rows if has in r.features and r.complexity != "easy")
        total = sum(r.weight for r in rows if r.complexity != "easy")
        pooled = pool_p(hits, total, self.smooth)
        manipulation: dict[Value, Any] = {"easy": 0.0}
        counts: dict[Value, Any] = {}
        for level in LEVELS:
            level_rows = [r for r in rows if r.complexity == level]
            k = sum(r.weight for r in level_rows if has in r.features)
            n = sum(r.weight for r in level_rows)
            counts[level] = {True: k, False: n - k}
            if level != "easy":
                p = (
                    (k + self.smooth.strength * pooled) / (n + self.smooth.strength)
                    if n
                    else pooled
                )
                manipulation[level] = round_p(p, self.smooth.alpha > 0)
        body = {
            "depends_on": ["task_type", "complexity"],
            "conditional": {
                TaskType.ANALYTICS.value: {WILDCARD: 1.0},
                TaskType.RETRIEVAL.value: {WILDCARD: 0.0},
                TaskType.MANIPULATION.value: manipulation,
            },
        }
        evidence = {
            "seeds": sum(r.weight for r in rows),
            "counts": {TaskType.MANIPULATION.value: counts},
            "note": "analytics = a SELECT with an aggregate, retrieval = one without",
        }
        return self.entry("uses_aggregate", body, evidence)


def _ordered(counts: Counts, values: Sequence[Value]) -> dict[Value, float]:
    return {v: counts.get(v, 0) for v in values}


class SchemaBuilder(Builder):
    """The schema-side properties, measured on the seeds' DDL where they have one."""

    def default_entry(self, name: str, note: str) -> dict[str, Any]:
        body = default_spec().by_name[name].to_document()
        body.pop("name"), body.pop("description"), body.pop("type")
        return self.entry(name, body, {"seeds": 0, "note": note})

    def columns_per_table(self) -> dict[str, Any]:
        counts = [c for r in self.rows for c in r.columns for _ in range(r.weight)]
        if not counts:
            return self.default_entry("columns_per_table", "no seed has a schema: the default")
        low, high = max(1, min(counts)), min(max(counts), MAX_COLUMNS)
        mean, std = min(max(fmean(counts), low), high), pstdev(counts)
        body: dict[str, Any]
        if std <= 0 or low == high:
            body = {"range": {"min": low, "max": high, "distribution": "uniform"}}
        else:
            shape = {"distribution": "normal", "mean": round(mean, 2), "std": round(std, 2)}
            body = {"range": {"min": low, "max": high, **shape}}
        evidence = {"tables": len(counts), "counts": dict(sorted(Counter(counts).items()))}
        return self.entry("columns_per_table", body, evidence)

    def rows_per_table(self) -> dict[str, Any]:
        return self.default_entry("rows_per_table", "not measured (a generation setting)")

    def primary_keys(self) -> dict[str, Any]:
        observed = tally(self.rows, lambda r: r.primary_keys)
        if not observed:
            return self.default_entry("declares_primary_keys", "no seed has a schema: the default")
        shares = estimate(observed, [True, False], self.smooth.alpha)
        evidence = {"seeds": sum(observed.values()), "counts": _ordered(observed, [True, False])}
        body = {"bernoulli": round_p(shares[True], self.smooth.alpha > 0)}
        return self.entry("declares_primary_keys", body, evidence)

    def foreign_keys(self) -> dict[str, Any]:
        joined = [r for r in self.rows if r.num_tables >= 2]
        observed = tally(joined, lambda r: r.foreign_keys)
        if not observed:
            note = "no multi-table seed has a schema: the default"
            return self.default_entry("declares_foreign_keys", note)
        shares = estimate(observed, [True, False], self.smooth.alpha)
        p = round_p(shares[True], self.smooth.alpha > 0)
        evidence = {
            "seeds": sum(observed.values()),
            "counts": {WILDCARD: _ordered(observed, [True, False])},
            "note": "multi-table seeds only; one table has no foreign key to declare",
        }
        body = {"depends_on": ["num_tables"], "conditional": {1: 0.0, WILDCARD: p}}
        return self.entry("declares_foreign_keys", body, evidence)
