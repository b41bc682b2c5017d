"""The typed spec: properties with (conditional) distributions, domains and constraints.

A spec is DataFramer's data specification made explicit: every property has a
marginal distribution or a distribution conditional on other properties ("join type given the
number of tables"). Instances are built by `shared.spec.parse` and are immutable.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from statistics import NormalDist
from typing import Any, TypeAlias

import numpy as np

from shared.errors import SqlsynthError

Value: TypeAlias = str | int | float | bool
# A key of a conditional level that matches every parent value not listed explicitly.
WILDCARD = "*"
DOMAIN = "domain"
_STANDARD_NORMAL = NormalDist()


class SpecError(SqlsynthError):
    """A spec that cannot be used; `errors` lists every problem found, not only the first."""

    def __init__(self, errors: Sequence[str]) -> None:
        self.errors = list(errors)
        lines = "\n".join(f"  - {e}" for e in self.errors)
        super().__init__(f"invalid spec ({len(self.errors)} problem(s)):\n{lines}")


class ValueType(StrEnum):
    STR = "str"
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"


def format_key(value: Value) -> str:
    """The JSON-safe text of a value used as a mapping key (JSON object keys are strings)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True)
class Categorical:
    """Named values with probabilities (declared order kept; zero-probability values allowed)."""

    items: tuple[tuple[Value, float], ...]

    @cached_property
    def _cumulative(self) -> list[float]:
        total, cumulative = 0.0, []
        for _, p in self.items:
            total += p
            cumulative.append(total)
        return cumulative

    def declared(self) -> list[Value]:
        return [v for v, _ in self.items]

    def support(self) -> list[tuple[Value, float]]:
        return [(v, p) for v, p in self.items if p > 0]

    def sample(self, rng: np.random.Generator) -> Value:
        cumulative = self._cumulative
        # bisect_right never lands on a zero-probability value: its bound equals its predecessor's.
        index = bisect.bisect_right(cumulative, rng.random() * cumulative[-1])
        return self.items[min(index, len(self.items) - 1)][0]

    def to_document(self) -> dict[str, Any]:
        return {"values": {format_key(v): p for v, p in self.items}}


@dataclass(frozen=True)
class Bernoulli:
    p: float

    def declared(self) -> list[Value]:
        return [True, False]

    def support(self) -> list[tuple[Value, float]]:
        return [(v, q) for v, q in ((True, self.p), (False, 1.0 - self.p)) if q > 0]

    def sample(self, rng: np.random.Generator) -> Value:
        return bool(rng.random() < self.p)

    def to_document(self) -> dict[str, Any]:
        return {"bernoulli": self.p}


class Shape(StrEnum):
    UNIFORM = "uniform"
    # Truncated to [min, max]; integers are the rounded draw on [min - 0.5, max + 0.5].
    NORMAL = "normal"


@dataclass(frozen=True)
class Range:
    """A numeric property on [low, high], integer or continuous."""

    low: float
    high: float
    integer: bool
    shape: Shape = Shape.UNIFORM
    mean: float | None = None
    std: float | None = None

    @property
    def centre(self) -> float:
        return self.mean if self.mean is not None else (self.low + self.high) / 2

    @property
    def spread(self) -> float:
        return self.std if self.std is not None else (self.high - self.low) / 4

    def _bounds(self) -> tuple[float, float]:
        pad = 0.5 if self.integer else 0.0
        return self.low - pad, self.high + pad

    def _cdf(self, x: float) -> float:
        return _STANDARD_NORMAL.cdf((x - self.centre) / self.spread)

    def declared(self) -> list[Value]:
        if not self.integer:
            raise ValueError("a continuous range has no list of values")
        return list(range(int(self.low), int(self.high) + 1))

    def support(self) -> list[tuple[Value, float]]:
        values = self.declared()
        if self.shape is Shape.UNIFORM or self.spread == 0:
            if self.shape is Shape.NORMAL:  # degenerate normal: all mass on the rounded mean
                return [(self._clip(round(self.centre)), 1.0)]
            return [(v, 1.0 / len(values)) for v in values]
        low, high = self._bounds()
        mass = self._cdf(high) - self._cdf(low)
        probs = [(self._cdf(float(v) + 0.5) - self._cdf(float(v) - 0.5)) / mass for v in values]
        return [(v, p) for v, p in zip(values, probs, strict=True) if p > 0]

    def _clip(self, value: float) -> int:
        return int(min(max(value, self.low), self.high))

    def sample(self, rng: np.random.Generator) -> Value:
        if self.shape is Shape.UNIFORM:
            if self.integer:
                return int(rng.integers(int(self.low), int(self.high) + 1))
            return float(self.low + rng.random() * (self.high - self.low))
        if self.spread == 0:
            return self._clip(round(self.centre)) if self.integer else float(self.centre)
        low, high = self._bounds()
        # Inverse-CDF sampling of the truncated normal: one uniform draw, no rejection loop.
        u_low, u_high = self._cdf(low), self._cdf(high)
        u = min(max(u_low + rng.random() * (u_high - u_low), 1e-15), 1 - 1e-15)
        x = min(max(self.centre + self.spread * _STANDARD_NORMAL.inv_cdf(u), low), high)
        return self._clip(math.floor(x + 0.5)) if self.integer else float(x)

    def to_document(self) -> dict[str, Any]:
        number = int if self.integer else float
        body: dict[str, Any] = {
            "min": number(self.low),
            "max": number(self.high),
            "distribution": self.shape.value,
        }
        if self.mean is not None:
            body["mean"] = self.mean
        if self.std is not None:
            body["std"] = self.std
        return {"range": body}


Distribution: TypeAlias = Categorical | Bernoulli | Range
# Nested by parent, in `depends_on` order; keys are parent values or WILDCARD.
CondTree: TypeAlias = "dict[Value, CondTree | Distribution]"


def iterate_leaves(node: CondTree | Distribution) -> Iterator[Distribution]:
    if isinstance(node, dict):
        for child in node.values():
            yield from iterate_leaves(child)
    else:
        yield node


@dataclass(frozen=True)
class Property:
    name: str
    value_type: ValueType
    description: str = ""
    distribution: Distribution | None = None
    depends_on: tuple[str, ...] = ()
    conditional: CondTree | None = None

    def distribution_for(self, values: Mapping[str, Value]) -> Distribution:
        """The distribution that applies given the parents' values (exact key, else '*')."""
        if self.conditional is None:
            assert self.distribution is not None
            return self.distribution
        node: CondTree | Distribution = self.conditional
        for parent in self.depends_on:
            assert isinstance(node, dict)
            value = values[parent]
            child = node.get(value)
            if child is None:
                child = node.get(WILDCARD)
            if child is None:
                raise KeyError(f"{self.name}: no distribution for {parent}={value!r}")
            node = child
        assert not isinstance(node, dict)
        return node

    def leaves(self) -> list[Distribution]:
        if self.conditional is None:
            assert self.distribution is not None
            return [self.distribution]
        return list(iterate_leaves(self.conditional))

    def support(self) -> list[Value]:
        """Values with positive probability in some branch, in declared order."""
        seen: dict[Value, None] = {}
        for leaf in self.leaves():
            if isinstance(leaf, Range) and not leaf.integer:
                raise ValueError(f"{self.name} is continuous")
            seen.update((v, None) for v, _ in leaf.support())
        return list(seen)

    def declared(self) -> list[Value]:
        seen: dict[Value, None] = {}
        for leaf in self.leaves():
            seen.update((v, None) for v in leaf.declared())
        return list(seen)

    @property
    def continuous(self) -> bool:
        return any(isinstance(leaf, Range) and not leaf.integer for leaf in self.leaves())

    def to_document(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "type": self.value_type.value,
        }
        if self.conditional is None:
            assert self.distribution is not None
            body.update(self.distribution.to_document())
        else:
            body["depends_on"] = list(self.depends_on)
            body["conditional"] = _tree_to_document(self.conditional)
        return body


def _tree_to_document(node: CondTree | Distribution) -> dict[str, Any]:
    if isinstance(node, dict):
        return {format_key(k): _tree_to_document(child) for k, child in node.items()}
    return node.to_document()


@dataclass(frozen=True)
class Constraint:
    """Reject a blueprint when every listed property takes one of the listed values."""

    name: str
    forbid: tuple[tuple[str, tuple[Value, ...]], ...]
    description: str = ""

    def matches(self, values: Mapping[str, Value]) -> bool:
        return all(name in values and values[name] in banned for name, banned in self.forbid)

    def to_document(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "forbid": {name: list(banned) for name, banned in self.forbid},
        }


def order_properties(parents: Mapping[str, Sequence[str]]) -> tuple[list[str], list[list[str]]]:
    """Topological order (parents first, otherwise the given order) and any cycles found."""
    names = list(parents)
    position = {name: i for i, name in enumerate(names)}
    pending = {n: [p for p in parents[n] if p in position] for n in names}
    order: list[str] = []
    placed: set[str] = set()
    while len(order) < len(names):
        # Earliest-declared ready property first, so the order (and every draw) is stable.
        ready = [n for n in names if n not in placed and all(p in placed for p in pending[n])]
        if not ready:
            break
        order.append(ready[0])
        placed.add(ready[0])
    # Every property left out has a parent left out, so walking parents must revisit one.
    cycles: list[list[str]] = []
    found: set[frozenset[str]] = set()
    for start in (n for n in names if n not in placed):
        path, node = [start], start
        while True:
            node = next(p for p in pending[node] if p not in placed)
            if node in path:
                cycle = [*path[path.index(node) :], node]
                if frozenset(cycle) not in found:
                    found.add(frozenset(cycle))
                    cycles.append(cycle)
                break
            path.append(node)
    return order, cycles


@dataclass(frozen=True)
class Spec:
    """A validated spec. Build it with `shared.spec.build_spec` (a document) or `load_spec`."""

    properties: tuple[Property, ...]
    domains: tuple[tuple[str, float], ...]
    constraints: tuple[Constraint, ...] = ()
    name: str = "spec"
    description: str = ""

    @cached_property
    def domain_property(self) -> Property:
        total = sum(w for _, w in self.domains) or 1.0  # 0 only in a spec being rejected
        items = tuple((name, w / total) for name, w in self.domains)
        return Property(DOMAIN, ValueType.STR, "the schema's subject area", Categorical(items))

    @cached_property
    def by_name(self) -> dict[str, Property]:
        return {DOMAIN: self.domain_property} | {p.name: p for p in self.properties}

    @cached_property
    def order(self) -> tuple[str, ...]:
        order, cycles = order_properties({n: p.depends_on for n, p in self.by_name.items()})
        if cycles:
            raise SpecError([f"dependency cycle: {' -> '.join(c)}" for c in cycles])
        return tuple(order)

    def ancestors(self, names: Iterable[str]) -> set[str]:
        """The names with every property they depend on, transitively."""
        found: set[str] = set()
        stack = list(names)
        while stack:
            name = stack.pop()
            if name not in found:
                found.add(name)
                stack.extend(self.by_name[name].depends_on)
        return found

    def sample_values(self, rng: np.random.Generator) -> dict[str, Value]:
        """One unconstrained draw of every property, parents before children."""
        values: dict[str, Value] = {}
        by_name = self.by_name
        for name in self.order:
            values[name] = by_name[name].distribution_for(values).sample(rng)
        return values

    def to_document(self) -> dict[str, Any]:
        """The canonical, JSON-round-trippable document (for RunRequest.spec)."""
        return {
            "version": 1,
            "name": self.name,
            "description": self.description,
            "domains": dict(self.domains),
            "properties": [p.to_document() for p in self.properties],
            "constraints": [c.to_document() for c in self.constraints],
        }
