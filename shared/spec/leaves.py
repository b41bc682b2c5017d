"""Distributions from their document bodies: categorical maps and numeric ranges."""

from __future__ import annotations

from collections.abc import Mapping

from shared.spec.coerce import Problems, as_number, coerce_value
from shared.spec.model import Categorical, Range, Shape, Value, ValueType
from shared.spec.rules import check_well_known_value

TOLERANCE = 1e-6
RANGE_KEYS = ("min", "max", "distribution", "mean", "std")


def build_categorical(
    name: str, body: object, value_type: ValueType, where: str, problems: Problems
) -> Categorical | None:
    if not isinstance(body, Mapping) or not body:
        problems.add(where, "values must be a non-empty {value: probability} mapping")
        return None
    items: dict[Value, float] = {}
    ok = True
    for raw_value, p in body.items():
        try:
            value = coerce_value(raw_value, value_type)
        except ValueError as exc:
            problems.add(where, str(exc))
            ok = False
            continue
        if value in items:
            problems.add(where, f"value {value!r} is listed twice")
            ok = False
        probability = as_number(p)
        if probability is None or probability < 0:
            problems.add(where, f"probability of {value!r} must be a number >= 0, not {p!r}")
            ok = False
        reason = check_well_known_value(name, value)
        if reason:
            problems.add(where, reason)
            ok = False
        items[value] = probability or 0.0
    total = sum(items.values())
    if ok and abs(total - 1.0) > TOLERANCE:
        problems.add(where, f"probabilities sum to {total:.6g}, not 1 (tolerance {TOLERANCE})")
        ok = False
    return Categorical(tuple(items.items())) if ok else None


def build_range(
    name: str, body: object, value_type: ValueType, where: str, problems: Problems
) -> Range | None:
    if not isinstance(body, Mapping):
        problems.add(where, "range must be a mapping with min and max")
        return None
    before = len(problems)
    for key in body:
        if key not in RANGE_KEYS:
            problems.add(where, f"unknown range key {key!r} (known: {', '.join(RANGE_KEYS)})")
    low, high = as_number(body.get("min")), as_number(body.get("max"))
    shape = body.get("distribution", Shape.UNIFORM.value)
    raw_mean, raw_std = body.get("mean"), body.get("std")
    mean, std = as_number(raw_mean), as_number(raw_std)
    integer = value_type is ValueType.INT
    for label, bound in (("min", low), ("max", high)):
        if bound is None or (integer and not bound.is_integer()):
            kind = "an integer" if integer else "a number"
            problems.add(where, f"range {label} {body.get(label)!r} must be {kind}")
    if shape not in {s.value for s in Shape}:
        problems.add(where, f"distribution {shape!r} must be one of uniform, normal")
    elif shape == Shape.UNIFORM.value and (raw_mean is not None or raw_std is not None):
        problems.add(where, "mean and std apply only to distribution: normal")
    if len(problems) > before or low is None or high is None:
        return None
    if low > high:
        problems.add(where, f"range min {body['min']} is above max {body['max']}")
    if raw_mean is not None and (mean is None or not low <= mean <= high):
        problems.add(where, f"mean {raw_mean!r} must be a number within [min, max]")
    if raw_std is not None and (std is None or std <= 0):
        problems.add(where, f"std {raw_std!r} must be a number > 0")
    if integer:
        for bound in (int(low), int(high)):
            reason = check_well_known_value(name, bound)
            if reason:
                problems.add(where, reason)
    if len(problems) > before:
        return None
    return Range(low, high, integer, Shape(shape), mean, std)
