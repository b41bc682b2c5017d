"""Structural checks that need every property built: conditional coverage and constraints."""

from __future__ import annotations

from collections.abc import Mapping

from shared.spec.coerce import Problems, coerce_value
from shared.spec.model import (
    WILDCARD,
    CondTree,
    Constraint,
    Distribution,
    Property,
    Range,
    Spec,
    Value,
)
from shared.spec.rules import WELL_KNOWN, check_well_known_value

CONSTRAINT_KEYS = ("name", "description", "forbid")
# Conditioning on a wider integer range must use '*' branches; listing values is unreadable.
MAX_LISTED_VALUES = 10_000


def _span(prop: Property) -> int:
    ranges = [leaf for leaf in prop.leaves() if isinstance(leaf, Range)]
    return max((int(r.high - r.low) + 1 for r in ranges), default=0)


def _check_level(
    node: CondTree | Distribution,
    parents: list[Property],
    depth: int,
    where: str,
    problems: Problems,
) -> None:
    if not isinstance(node, dict) or depth >= len(parents):
        return
    parent = parents[depth]
    if _span(parent) > MAX_LISTED_VALUES:
        if WILDCARD not in node:
            problems.add(where, f"{parent.name} is a wide range: give a '*' branch")
    else:
        declared, support = set(parent.declared()), parent.support()
        for key in node:
            if key != WILDCARD and key not in declared:
                problems.add(where, f"key {parent.name}={key!r} is not a value {parent.name} takes")
        missing = [v for v in support if v not in node]
        if missing and WILDCARD not in node:
            shown = ", ".join(f"{parent.name}={v!r}" for v in missing[:6])
            more = f" and {len(missing) - 6} more" if len(missing) > 6 else ""
            problems.add(
                where, f"no distribution for {shown}{more}: add those branches or a '*' branch"
            )
    for key, child in node.items():
        _check_level(child, parents, depth + 1, f"{where}[{parent.name}={key}]", problems)


def check_conditionals(spec: Spec, problems: Problems, wheres: Mapping[str, str]) -> None:
    """Every parent value a draw can produce must have a branch; no branch for impossible keys.

    Properties whose parents failed to build are skipped (their problems are reported already).
    """
    for prop in spec.properties:
        if prop.conditional is None or not all(p in spec.by_name for p in prop.depends_on):
            continue
        where = f"{wheres.get(prop.name, prop.name)}.conditional"
        parents = [spec.by_name[name] for name in prop.depends_on]
        continuous = [p.name for p in parents if p.continuous]
        if continuous:
            problems.add(where, f"cannot depend on continuous property {', '.join(continuous)}")
            continue
        _check_level(prop.conditional, parents, 0, where, problems)


def _check_forbidden_value(prop: Property, value: Value) -> str | None:
    if prop.name in WELL_KNOWN:
        return check_well_known_value(prop.name, value)
    if _span(prop) > MAX_LISTED_VALUES:
        ranges = [leaf for leaf in prop.leaves() if isinstance(leaf, Range)]
        number = float(value) if isinstance(value, int | float) else float("nan")
        inside = any(r.low <= number <= r.high for r in ranges)
        return None if inside else f"{prop.name} never takes {value!r}"
    if value not in prop.declared():
        return f"{prop.name} never takes {value!r} (values: {prop.declared()[:8]})"
    return None


def _parse_forbid(
    forbid: Mapping[object, object], spec: Spec, where: str, problems: Problems
) -> list[tuple[str, tuple[Value, ...]]] | None:
    pairs: list[tuple[str, tuple[Value, ...]]] = []
    before = len(problems)
    for name, raw_values in forbid.items():
        prop = spec.by_name.get(name) if isinstance(name, str) else None
        if prop is None:
            problems.add(where, f"forbids values of unknown property {name!r}")
            continue
        if prop.continuous:
            problems.add(where, f"cannot constrain continuous property {prop.name}")
            continue
        listed = raw_values if isinstance(raw_values, list) else [raw_values]
        if not listed:
            problems.add(where, f"lists no values of {prop.name}")
        values: list[Value] = []
        for raw in listed:
            try:
                value = coerce_value(raw, prop.value_type)
            except ValueError as exc:
                problems.add(where, f"{prop.name}: {exc}")
                continue
            reason = _check_forbidden_value(prop, value)
            if reason:
                problems.add(where, reason)
            values.append(value)
        pairs.append((prop.name, tuple(values)))
    return pairs if len(problems) == before else None


def parse_constraints(raw: object, spec: Spec, problems: Problems) -> tuple[Constraint, ...]:
    """`forbid` rejects a draw when every listed property takes one of its listed values."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.add("constraints", "must be a list")
        return ()
    constraints: list[Constraint] = []
    for index, item in enumerate(raw):
        where = f"constraints[{index}]"
        if not isinstance(item, Mapping):
            problems.add(where, "each constraint must be a mapping with `forbid`")
            continue
        for key in item:
            if key not in CONSTRAINT_KEYS:
                problems.add(where, f"unknown key {key!r} (known: {', '.join(CONSTRAINT_KEYS)})")
        name, description = item.get("name", f"constraint_{index + 1}"), item.get("description", "")
        if not isinstance(name, str) or not isinstance(description, str):
            problems.add(where, "name and description must be text")
            continue
        if any(c.name == name for c in constraints):
            problems.add(where, f"constraint name {name!r} is used twice")
        forbid = item.get("forbid")
        if not isinstance(forbid, Mapping) or not forbid:
            problems.add(where, "forbid must map property names to the values to forbid")
            continue
        pairs = _parse_forbid(forbid, spec, f"{where} ({name})", problems)
        if pairs is not None:
            constraints.append(Constraint(name, tuple(pairs), description))
    return tuple(constraints)
