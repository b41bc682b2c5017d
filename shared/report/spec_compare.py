"""Target vs realised distribution of every spec property: the proof a spec was followed.

The target is `shared.spec.expected_distribution` (the spec's distribution after the sampler's
rejection of incoherent draws), marginal and conditional on each parent value combination. The
realised value of a property is, in this order of preference: measured from the SQL or schema
(num_tables, join_kind, uses_*, sql_complexity, columns_per_table, declares_*, and
rows_per_table from the rows the context inserts), read from the record's label (domain,
task_type, complexity, prompt_style), or the value the planner drew (our records keep it).
Fit: total variation distance and a chi-square goodness-of-fit test (docs/report.md).
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from scipy.stats import chi2

from proto.common import JoinKind, SqlFeature
from shared.report.distributions import measure_sql_complexity
from shared.report.facts import RecordFacts
from shared.report.table_rows import rows_per_table
from shared.spec import NO_JOIN, Spec, expected_distribution, feature_property
from shared.spec.marginals import TooLarge, analyse_rejection, enumerate_joint
from shared.spec.model import Value, format_key
from shared.spec.rules import (
    SQL_COMPLEXITY_INPUTS,
    SQL_COMPLEXITY_LABELS,
    label_values,
    list_rejecting_properties,
    list_violations,
)

SQL_COMPLEXITY = "sql_complexity"
LABELLED = ("domain", "task_type", "complexity", "prompt_style")
# Non-inner kinds in the order that names a query's "distinguishing" join (spec's join_kind).
NON_INNER = (JoinKind.LEFT, JoinKind.RIGHT, JoinKind.FULL, JoinKind.CROSS)

Reader = Callable[[RecordFacts], str | None]


def measure_join_kind(fact: RecordFacts) -> str | None:
    """none without joins; else the first non-inner kind present; else inner."""
    if fact.features is None:
        return None
    joins = fact.features.joins
    if not any(joins.values()):
        return NO_JOIN
    for kind in NON_INNER:
        if joins.get(kind, 0) > 0:
            return kind.value
    return JoinKind.INNER.value


def measure_columns_per_table(fact: RecordFacts) -> str | None:
    """The schema's columns per table, rounded half up: the planner draws one number per sample
    and the template engine shapes each table to it, so the mean over the tables is that number
    unless a table could not be shaped (keys and links it must keep, columns it lacks)."""
    schema = fact.schema
    if schema is None or not schema.tables:
        return None
    total = sum(len(schema.columns.get(table, ())) for table in schema.tables)
    return format_key(int(total / len(schema.tables) + 0.5))


def measure_rows_per_table(fact: RecordFacts) -> str | None:
    """The rows the record's tables were filled to, from its context's INSERTs (table_rows.py);
    None for a record whose context inserts nothing."""
    found = rows_per_table(fact.record.schema_ddl or "")
    return None if found is None else format_key(found)


def _measured(name: str) -> Reader | None:
    if name == "num_tables":
        return lambda f: str(f.features.num_tables) if f.features else None
    if name == "join_kind":
        return measure_join_kind
    if name == SQL_COMPLEXITY:
        return measure_sql_complexity
    for feature in SqlFeature:
        if name == feature_property(feature):
            return lambda f, feat=feature: (  # type: ignore[misc]
                format_key(feat in f.features.features) if f.features else None
            )
    if name == "columns_per_table":
        return measure_columns_per_table
    if name == "rows_per_table":
        return measure_rows_per_table
    if name == "declares_primary_keys":
        return lambda f: format_key(f.schema.has_primary_key) if f.schema else None
    if name == "declares_foreign_keys":
        return lambda f: format_key(f.schema.has_foreign_key) if f.schema else None
    return None


def _planned(name: str) -> Reader:
    def read(fact: RecordFacts) -> str | None:
        value = fact.planned.get(name)
        return None if value is None else format_key(value)

    return read


def choose_reader(name: str, facts: Sequence[RecordFacts]) -> tuple[str, Reader] | None:
    """(source, reader) of the first source that gives this dataset any value."""
    options: list[tuple[str, Reader]] = []
    measured = _measured(name)
    if measured is not None:
        options.append(("measured", measured))
    if name in LABELLED:
        options.append(("label", lambda f, n=name: f.labels.get(n)))  # type: ignore[misc]
    options.append(("planned", _planned(name)))
    for source, reader in options:
        if any(reader(fact) is not None for fact in facts):
            return source, reader
    return None


def fit_distribution(target: dict[str, float], counts: Counter[str]) -> dict[str, Any]:
    """TVD and chi-square goodness of fit of observed `counts` against `target` shares.

    A value the target gives no probability makes the fit impossible: chi2 is None and the
    p-value 0. The chi-square approximation is poor when `min_expected` is below 5.
    """
    n = sum(counts.values())
    realised = {value: c / n for value, c in counts.items()} if n else {}
    keys = list(dict.fromkeys([*target, *sorted(counts, key=lambda v: -counts[v])]))
    tvd = 0.5 * sum(abs(target.get(k, 0.0) - realised.get(k, 0.0)) for k in keys) if n else None
    outside = sum(c for value, c in counts.items() if target.get(value, 0.0) <= 0)
    support = [k for k, p in target.items() if p > 0]
    statistic: float | None = None
    p_value: float | None = None
    min_expected = min((n * target[k] for k in support), default=None) if n else None
    if n and outside:
        p_value = 0.0
    elif n and support:
        statistic = sum((counts.get(k, 0) - n * target[k]) ** 2 / (n * target[k]) for k in support)
        dof = len(support) - 1
        p_value = float(chi2.sf(statistic, dof)) if dof > 0 else 1.0
    return {
        "n": n,
        "target": target,
        "realised": {k: realised.get(k, 0.0) for k in keys},
        "counts": {k: counts.get(k, 0) for k in keys},
        "tvd": tvd,
        "chi2": statistic,
        "dof": max(len(support) - 1, 0),
        "p_value": p_value,
        "outside_target": outside,
        "min_expected": min_expected,
    }


class SpecTargets:
    """Target distributions of one spec, marginal and conditional on the parents' values.

    Same definition as `shared.spec.expected_distribution` (the distribution among draws the
    sampler accepts), computed from one enumeration of each property's family (the property,
    its parents and the properties the rejection rules read) instead of one per parent value
    combination: a report asks for dozens of them. Results are memoised across datasets.
    """

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self._rejects: bool | None = None
        self._families: dict[str, dict[tuple[Value, ...], dict[str, float]] | None] = {}

    def properties(self) -> list[str]:
        """Every discrete spec property in sampling order, then the derived sql_complexity."""
        names = [n for n in self.spec.order if not self.spec.by_name[n].continuous]
        return [*names, SQL_COMPLEXITY]

    def parents(self, name: str) -> tuple[str, ...]:
        return () if name == SQL_COMPLEXITY else self.spec.by_name[name].depends_on

    def typed_value(self, name: str, text: str) -> Value | None:
        """The spec's own value whose key text is `text` (None: not a declared value)."""
        for value in self.spec.by_name[name].declared():
            if format_key(value) == text:
                return value
        return None

    def target(self, name: str, given: dict[str, Value] | None = None) -> dict[str, float]:
        """Shares by value key text; {} when no accepted draw has the `given` values."""
        given = dict(given or {})
        parents = self.parents(name)
        family = self._family(name) if set(given) <= set(parents) else None
        if family is None:
            return self._target_directly(name, given)
        shares: dict[str, float] = {}
        for combo, weights in family.items():
            values = dict(zip(parents, combo, strict=True))
            if all(values[p] == v for p, v in given.items()):
                for key, weight in weights.items():
                    shares[key] = shares.get(key, 0.0) + weight
        return self._normalise(name, shares)

    def _family(self, name: str) -> dict[tuple[Value, ...], dict[str, float]] | None:
        """Accepted probability mass by (parents' values) and then by the property's value."""
        if name in self._families:
            return self._families[name]
        if self._rejects is None:
            self._rejects = analyse_rejection(self.spec).any_rejected
        parents = self.parents(name)
        if name == SQL_COMPLEXITY:
            wanted = set(SQL_COMPLEXITY_INPUTS) & set(self.spec.by_name)
        else:
            wanted = {name, *parents}
        if self._rejects:
            wanted |= list_rejecting_properties(self.spec)
        try:
            variables, states = enumerate_joint(self.spec, wanted)
        except TooLarge:
            self._families[name] = None
            return None
        family: dict[tuple[Value, ...], dict[str, float]] = {}
        for state, p in states.items():
            values = dict(zip(variables, state, strict=True))
            if self._rejects and list_violations(self.spec, values):
                continue
            value = label_values(values) if name == SQL_COMPLEXITY else values[name]
            weights = family.setdefault(tuple(values[q] for q in parents), {})
            weights[format_key(value)] = weights.get(format_key(value), 0.0) + p
        self._families[name] = family
        return family

    def _target_directly(self, name: str, given: dict[str, Value]) -> dict[str, float]:
        try:
            shares = expected_distribution(self.spec, name, given)
        except ValueError:  # no accepted draw has these values
            return {}
        return {format_key(v): p for v, p in shares.items()}

    def _normalise(self, name: str, shares: dict[str, float]) -> dict[str, float]:
        """Shares summing to 1, in the declared order of the values (zeros dropped)."""
        total = sum(shares.values())
        if total <= 0:
            return {}
        if name == SQL_COMPLEXITY:
            declared = list(SQL_COMPLEXITY_LABELS)
        else:
            declared = [format_key(v) for v in self.spec.by_name[name].declared()]
        ordered = [k for k in declared if shares.get(k, 0.0) > 0]
        ordered += [k for k in shares if k not in ordered and shares[k] > 0]
        return {k: shares[k] / total for k in ordered}


def compare_to_spec(targets: SpecTargets, facts: Sequence[RecordFacts]) -> dict[str, Any]:
    properties: list[dict[str, Any]] = []
    conditionals: list[dict[str, Any]] = []
    skipped: list[dict[str, str]] = []
    readers: dict[str, tuple[str, Reader]] = {}
    for name in targets.properties():
        chosen = choose_reader(name, facts)
        if chosen is None:
            skipped.append({"property": name, "reason": "no record has a value for it"})
            continue
        readers[name] = chosen
        source, reader = chosen
        counts = Counter(v for v in (reader(f) for f in facts) if v is not None)
        entry = {
            "property": name,
            "source": source,
            **fit_distribution(targets.target(name), counts),
        }
        if source != "planned" and any(f.planned.get(name) is not None for f in facts):
            planned = Counter(v for v in (_planned(name)(f) for f in facts) if v is not None)
            entry["planned"] = fit_distribution(targets.target(name), planned)
        properties.append(entry)
    for name in targets.properties():
        parents = targets.parents(name)
        if name in readers and parents and all(p in readers for p in parents):
            conditionals.extend(_conditionals(targets, facts, name, parents, readers))
    return {
        "name": targets.spec.name,
        "properties": properties,
        "conditionals": conditionals,
        "skipped": skipped,
        "summary": summarise_fits(properties, conditionals),
    }


def _conditionals(
    targets: SpecTargets,
    facts: Sequence[RecordFacts],
    name: str,
    parents: tuple[str, ...],
    readers: dict[str, tuple[str, Reader]],
) -> list[dict[str, Any]]:
    """One fit per parent value combination that some record has."""
    groups: dict[tuple[str, ...], Counter[str]] = {}
    for fact in facts:
        value = readers[name][1](fact)
        combo = tuple(readers[p][1](fact) for p in parents)
        if value is None or any(v is None for v in combo):
            continue
        groups.setdefault(combo, Counter())[value] += 1  # type: ignore[arg-type]
    out: list[dict[str, Any]] = []
    for combo in sorted(groups, key=lambda c: tuple(str(v) for v in c)):
        typed = [targets.typed_value(p, text) for p, text in zip(parents, combo, strict=True)]
        given_text = dict(zip(parents, combo, strict=True))
        if any(v is None for v in typed):
            target: dict[str, float] = {}  # a parent value the spec never declares
        else:
            given = {p: v for p, v in zip(parents, typed, strict=True) if v is not None}
            target = targets.target(name, given)
        out.append(
            {
                "property": name,
                "given": given_text,
                "source": readers[name][0],
                **fit_distribution(target, groups[combo]),
            }
        )
    return out


def summarise_fits(
    properties: list[dict[str, Any]], conditionals: list[dict[str, Any]]
) -> dict[str, Any]:
    tvds = [p["tvd"] for p in properties if p["tvd"] is not None]
    worst = max(properties, key=lambda p: p["tvd"] or 0.0, default=None)
    return {
        "properties": len(properties),
        "conditionals": len(conditionals),
        "mean_tvd": sum(tvds) / len(tvds) if tvds else None,
        "max_tvd": worst["tvd"] if worst else None,
        "worst_property": worst["property"] if worst else None,
        "p_below_0_01": sum(
            1
            for p in itertools.chain(properties, conditionals)
            if p["p_value"] is not None and p["p_value"] < 0.01
        ),
    }
