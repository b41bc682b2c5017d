"""Spec documents (parsed YAML or JSON) to typed `Spec`s, collecting every structural problem.

Document shape (see default_spec.yaml):
  domains: [retail, banking, ...] or {retail: 2, banking: 1}    (weights, normalised)
  properties:
    - name: complexity
      values: {easy: 0.3, medium: 0.4, hard: 0.3}               (categorical)
    - name: columns_per_table
      range: {min: 3, max: 10, distribution: normal, mean: 6, std: 1.6}
    - name: uses_cte
      depends_on: [complexity]
      conditional: {easy: 0.0, medium: 0.1, "*": 0.3}           (bernoulli p per parent value)
  constraints:
    - name: portable_joins
      forbid: {join_kind: [right, full]}
A conditional nests one mapping level per parent, in `depends_on` order; "*" matches any value
not listed. A leaf is a number (bernoulli p), {values|range|bernoulli: ...}, or a bare
{value: probability} mapping.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from shared.spec.checks import check_conditionals, parse_constraints
from shared.spec.coerce import NAME, Problems, as_number, coerce_value
from shared.spec.leaves import build_categorical, build_range
from shared.spec.model import (
    DOMAIN,
    WILDCARD,
    Bernoulli,
    CondTree,
    Distribution,
    Property,
    Spec,
    Value,
    ValueType,
    order_properties,
)
from shared.spec.rules import WELL_KNOWN

DEFAULT_SPEC_PATH = Path(__file__).with_name("default_spec.yaml")
# `evidence` (top level and per property) holds the counts a spec was measured from
# (`sqlsynth spec --seeds`); it documents the numbers and is not read.
TOP_KEYS = ("version", "name", "description", "domains", "properties", "constraints", "evidence")
PROPERTY_KEYS = (
    "name",
    "description",
    "type",
    "values",
    "range",
    "bernoulli",
    "depends_on",
    "conditional",
    "evidence",
)
LEAF_KINDS = ("values", "range", "bernoulli")


@dataclass
class _Draft:
    """A property between passes: leaves read, keys not yet typed by the parents."""

    where: str
    name: str
    description: str
    depends_on: tuple[str, ...]
    conditional: bool
    leaves: list[tuple[tuple[object, ...], str, object]] = field(default_factory=list)
    kind: str = ""
    value_type: ValueType | None = None


def _classify(raw: object) -> str | None:
    if as_number(raw) is not None:
        return "bernoulli"
    if isinstance(raw, Mapping) and raw:
        if len(raw) == 1 and next(iter(raw)) in LEAF_KINDS:
            return str(next(iter(raw)))
        return "values"  # bare {value: probability}
    return None


def _walk(
    node: object,
    parents: tuple[str, ...],
    where: str,
    path: tuple[object, ...],
    problems: Problems,
    out: list[tuple[tuple[object, ...], str, object]],
) -> None:
    if len(path) == len(parents):
        out.append((path, where, node))
        return
    parent = parents[len(path)]
    if not isinstance(node, Mapping) or not node:
        problems.add(where, f"expected a non-empty mapping keyed by values of {parent}")
        return
    for key, child in node.items():
        _walk(child, parents, f"{where}[{parent}={key}]", (*path, key), problems, out)


def _read_property(index: int, raw: object, problems: Problems) -> _Draft | None:
    where = f"properties[{index}]"
    if not isinstance(raw, Mapping):
        problems.add(where, "each property must be a mapping with at least a name")
        return None
    name = raw.get("name")
    if not isinstance(name, str) or not NAME.match(name):
        problems.add(where, f"name {name!r} must be snake_case text (a-z, 0-9, _)")
        return None
    where = f"{where} ({name})"
    for key in raw:
        if key not in PROPERTY_KEYS:
            problems.add(where, f"unknown key {key!r} (known: {', '.join(PROPERTY_KEYS)})")
    description = raw.get("description", "")
    if not isinstance(description, str):
        problems.add(where, "description must be text")
        description = ""
    kinds = [k for k in LEAF_KINDS if k in raw]
    has_conditional = "conditional" in raw
    depends_on = raw.get("depends_on")
    if has_conditional and kinds:
        problems.add(where, "give a distribution or depends_on + conditional, not both")
        return None
    if not has_conditional and len(kinds) != 1:
        problems.add(where, "needs exactly one of values, range, bernoulli, or a conditional")
        return None
    if has_conditional != (depends_on is not None):
        problems.add(where, "depends_on and conditional go together")
        return None
    parents: tuple[str, ...] = ()
    if depends_on is not None:
        if not isinstance(depends_on, list) or not depends_on:
            problems.add(where, "depends_on must be a non-empty list of property names")
            return None
        if not all(isinstance(p, str) for p in depends_on) or len(set(depends_on)) < len(
            depends_on
        ):
            problems.add(where, "depends_on must list distinct property names")
            return None
        parents = tuple(depends_on)
    draft = _Draft(where, name, description, parents, has_conditional)
    if has_conditional:
        _walk(raw["conditional"], parents, f"{where}.conditional", (), problems, draft.leaves)
    else:
        draft.leaves.append(((), where, {kinds[0]: raw[kinds[0]]}))
    return _type_draft(draft, raw.get("type"), problems)


def _type_draft(draft: _Draft, declared: object, problems: Problems) -> _Draft | None:
    if not draft.leaves:
        return None  # the conditional's shape was reported already
    kinds = {_classify(raw) for _, _, raw in draft.leaves}
    if None in kinds:
        bad = next(w for _, w, raw in draft.leaves if _classify(raw) is None)
        problems.add(bad, "a leaf must be a probability, {values|range|bernoulli: ...} or a map")
        return None
    if len(kinds) != 1:
        problems.add(draft.where, f"branches mix distribution kinds: {sorted(map(str, kinds))}")
        return None
    draft.kind = str(kinds.pop())
    if declared is not None and declared not in {t.value for t in ValueType}:
        problems.add(draft.where, f"type {declared!r} must be one of str, int, float, bool")
        return None
    known = WELL_KNOWN.get(draft.name)
    chosen = ValueType(declared) if declared is not None else None
    if known is not None and chosen not in (None, known.value_type):
        problems.add(draft.where, f"{draft.name} must have type {known.value_type.value}")
        return None
    draft.value_type = chosen or (known.value_type if known else _infer_type(draft))
    allowed = {
        "bernoulli": (ValueType.BOOL,),
        "range": (ValueType.INT, ValueType.FLOAT),
        "values": (ValueType.STR, ValueType.INT, ValueType.BOOL),
    }[draft.kind]
    if draft.value_type not in allowed:
        problems.add(draft.where, f"a {draft.kind} property cannot have type {draft.value_type}")
        return None
    return draft


def _leaf_body(raw: object, kind: str) -> object:
    if isinstance(raw, Mapping) and len(raw) == 1 and next(iter(raw)) == kind:
        return next(iter(raw.values()))
    return raw


def _infer_type(draft: _Draft) -> ValueType:
    if draft.kind == "bernoulli":
        return ValueType.BOOL
    bodies = [_leaf_body(raw, draft.kind) for _, _, raw in draft.leaves]
    if draft.kind == "range":
        bounds = [b.get(k) for b in bodies if isinstance(b, Mapping) for k in ("min", "max")]
        integral = all(isinstance(v, int) and not isinstance(v, bool) for v in bounds)
        return ValueType.INT if integral else ValueType.FLOAT
    keys = [k for b in bodies if isinstance(b, Mapping) for k in b]
    if keys and all(isinstance(k, bool) for k in keys):
        return ValueType.BOOL
    if keys and all(isinstance(k, int) and not isinstance(k, bool) for k in keys):
        return ValueType.INT
    return ValueType.STR


def _build_leaf(
    name: str, raw: object, draft: _Draft, where: str, problems: Problems
) -> Distribution | None:
    body = _leaf_body(raw, draft.kind)
    assert draft.value_type is not None
    if draft.kind == "bernoulli":
        p = as_number(body)
        if p is None or not 0 <= p <= 1:
            problems.add(where, f"bernoulli p {body!r} must be a number in [0, 1]")
            return None
        return Bernoulli(p)
    if draft.kind == "range":
        return build_range(name, body, draft.value_type, where, problems)
    return build_categorical(name, body, draft.value_type, where, problems)


def _build_property(
    draft: _Draft, types: Mapping[str, ValueType | None], problems: Problems
) -> Property | None:
    assert draft.value_type is not None
    before = len(problems)
    built = [
        (path, _build_leaf(draft.name, raw, draft, w, problems)) for path, w, raw in draft.leaves
    ]
    if not draft.conditional:
        leaf = built[0][1]
        if leaf is None:
            return None
        return Property(draft.name, draft.value_type, draft.description, leaf)
    tree: CondTree = {}
    for path, leaf in built:
        node = tree
        for depth, raw_key in enumerate(path):
            parent = draft.depends_on[depth]
            parent_type = types.get(parent)
            key: Value = WILDCARD
            if raw_key != WILDCARD and parent_type is not None:
                try:
                    key = coerce_value(raw_key, parent_type)
                except ValueError as exc:
                    problems.add(f"{draft.where}.conditional", f"key of {parent}: {exc}")
                    break
            last = depth == len(path) - 1
            if last and key in node:
                problems.add(f"{draft.where}.conditional", f"{parent}={key!r} appears twice")
            if last and leaf is not None:
                node[key] = leaf
            elif not last:
                child = node.setdefault(key, {})
                assert isinstance(child, dict)
                node = child
    if len(problems) > before:
        return None
    return Property(draft.name, draft.value_type, draft.description, None, draft.depends_on, tree)


@lru_cache(maxsize=1)
def read_default_domains() -> tuple[tuple[str, float], ...]:
    """The shipped default spec's domains (the template catalogue uses the same names)."""
    document = yaml.safe_load(DEFAULT_SPEC_PATH.read_text(encoding="utf-8"))
    problems = Problems()
    domains = parse_domains(document.get("domains"), problems)
    if problems:
        raise RuntimeError(f"the shipped default spec is broken: {problems}")
    return domains


def parse_domains(raw: object, problems: Problems) -> tuple[tuple[str, float], ...]:
    if raw is None:
        return read_default_domains()
    weights: dict[str, float] = {}
    if isinstance(raw, list):
        pairs: list[tuple[object, object]] = [(name, 1.0) for name in raw]
    elif isinstance(raw, Mapping):
        pairs = list(raw.items())
    else:
        problems.add("domains", "must be a list of names or a {name: weight} mapping")
        return ()
    for name, weight in pairs:
        if not isinstance(name, str) or not NAME.match(name):
            problems.add("domains", f"domain {name!r} must be a snake_case name")
        elif name in weights:
            problems.add("domains", f"domain {name!r} is listed twice")
        elif (number := as_number(weight)) is None or number < 0:
            problems.add("domains", f"weight of {name!r} must be a number >= 0, not {weight!r}")
        else:
            weights[name] = number
    if not pairs or (weights and sum(weights.values()) <= 0):
        problems.add("domains", "needs at least one domain with a positive weight")
    return tuple(weights.items())


def parse_document(document: object) -> tuple[Spec | None, list[str]]:
    """The typed spec and no problems, or None and every structural problem found."""
    problems = Problems()
    if not isinstance(document, Mapping):
        return None, ["spec: must be a mapping with a `properties` list"]
    for key in document:
        if key not in TOP_KEYS:
            problems.add("spec", f"unknown key {key!r} (known: {', '.join(TOP_KEYS)})")
    if document.get("version", 1) != 1:
        problems.add("spec", f"version {document.get('version')!r} is not supported (only 1)")
    name, description = document.get("name", "spec"), document.get("description", "")
    if not isinstance(name, str) or not isinstance(description, str):
        problems.add("spec", "name and description must be text")
    domains = parse_domains(document.get("domains"), problems)
    raw_properties = document.get("properties", [])
    if not isinstance(raw_properties, list):
        problems.add("properties", "must be a list")
        raw_properties = []
    drafts: dict[str, _Draft] = {}
    for index, raw in enumerate(raw_properties):
        draft = _read_property(index, raw, problems)
        if draft is None:
            continue
        if draft.name in drafts or draft.name == DOMAIN:
            why = "is reserved (use `domains:`)" if draft.name == DOMAIN else "is defined twice"
            problems.add(draft.where, f"property name {draft.name!r} {why}")
            continue
        drafts[draft.name] = draft
    known = {DOMAIN, *drafts}
    for draft in drafts.values():
        for parent in draft.depends_on:
            if parent not in known:
                problems.add(draft.where, f"depends on unknown property {parent!r}")
    _, cycles = order_properties({DOMAIN: (), **{n: d.depends_on for n, d in drafts.items()}})
    for cycle in cycles:
        problems.add("properties", f"dependency cycle: {' -> '.join(cycle)}")
    types: dict[str, ValueType | None] = {DOMAIN: ValueType.STR}
    types |= {n: d.value_type for n, d in drafts.items()}
    properties = [_build_property(d, types, problems) for d in drafts.values()]
    built = tuple(p for p in properties if p is not None)
    spec = Spec(built, domains, name=str(name), description=str(description))
    if not cycles:
        # Coverage of what did build, so one bad branch does not hide the others' problems.
        check_conditionals(spec, problems, {n: d.where for n, d in drafts.items()})
    if problems:
        return None, list(problems)
    constraints = parse_constraints(document.get("constraints", []), spec, problems)
    if problems:
        return None, list(problems)
    return Spec(spec.properties, domains, constraints, spec.name, spec.description), []
