"""What changed between two specs: properties, probabilities (before -> after), conditionals,
constraints and domains, plus each discrete property's overall distribution after rejection.

Both specs are compared in their canonical form (`Spec.to_document`), so two spellings of the
same distribution (a bare map or `values:`) are no change. A conditional's branches are compared
branch by branch ("num_tables=2"); when a property's parents change, its whole distribution is
shown before and after instead. "overall" lines are `expected_distribution`: what the sampler
draws once coherence rules and constraints have rejected what they reject.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from shared.spec.marginals import expected_distribution
from shared.spec.model import Spec, format_key

EPSILON = 5e-5
Leaf = dict[str, Any]


@dataclass(frozen=True)
class Change:
    """One difference. `section`: spec, domains, property or constraint; `kind`: added,
    removed or changed; `where`: the branch or aspect ("num_tables=2", "overall")."""

    section: str
    target: str
    kind: str
    where: str = ""
    detail: str = ""
    before: Any = None
    after: Any = None


@dataclass
class SpecDiff:
    changes: list[Change] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.changes

    def to_json(self) -> dict[str, Any]:
        return {"changed": not self.empty, "changes": [asdict(c) for c in self.changes]}

    def render(self) -> str:
        """Human-readable lines, grouped by what changed."""
        if self.empty:
            return "no differences"
        lines: list[str] = []
        heading = ""
        for change in self.changes:
            title = f"{change.section} {change.target}".strip()
            if title != heading:
                heading = title
                lines.append(f"{title}:")
            where = f"{change.where}: " if change.where else ""
            lines.append(f"  {change.kind:8s} {where}{change.detail}")
        return "\n".join(lines)


def _p(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}".rstrip("0").rstrip(".")


def _leaves(node: Any, parents: list[str], path: tuple[str, ...]) -> Iterator[tuple[str, Leaf]]:
    if len(path) == len(parents):
        yield ", ".join(path), node
        return
    for key, child in node.items():
        yield from _leaves(child, parents, (*path, f"{parents[len(path)]}={key}"))


def _flatten(doc: Mapping[str, Any]) -> dict[str, Leaf]:
    if "conditional" in doc:
        return dict(_leaves(doc["conditional"], list(doc["depends_on"]), ()))
    return {"": {k: doc[k] for k in ("values", "bernoulli", "range") if k in doc}}


def summarise_leaf(leaf: Leaf) -> str:
    if "values" in leaf:
        return ", ".join(f"{k} {_p(p)}" for k, p in leaf["values"].items())
    if "bernoulli" in leaf:
        return f"p {_p(leaf['bernoulli'])}"
    body = leaf.get("range", {})
    return ", ".join(f"{k} {v}" for k, v in body.items())


def summarise_property(doc: Mapping[str, Any]) -> str:
    leaves = _flatten(doc)
    if "conditional" not in doc:
        return summarise_leaf(leaves[""])
    branches = "; ".join(f"{where}: {summarise_leaf(leaf)}" for where, leaf in leaves.items())
    return f"given {', '.join(doc['depends_on'])} - {branches}"


def _compare_leaf(name: str, where: str, a: Leaf, b: Leaf) -> Iterator[Change]:
    if set(a) != set(b):
        yield Change(
            "property",
            name,
            "changed",
            where,
            f"{summarise_leaf(a)} -> {summarise_leaf(b)}",
            summarise_leaf(a),
            summarise_leaf(b),
        )
        return
    if "values" in a:
        before, after = a["values"], b["values"]
        for value in [*before, *(v for v in after if v not in before)]:
            old, new = before.get(value), after.get(value)
            # A value listed on one side only with probability 0 is no change.
            if (old or 0.0) == 0.0 and (new or 0.0) == 0.0:
                continue
            if old is None or new is None or abs(old - new) > EPSILON:
                detail = f"p({value}) {_p(old)} -> {_p(new)}"
                yield Change("property", name, "changed", where, detail, old, new)
    elif "bernoulli" in a:
        if abs(a["bernoulli"] - b["bernoulli"]) > EPSILON:
            old, new = a["bernoulli"], b["bernoulli"]
            yield Change("property", name, "changed", where, f"p {_p(old)} -> {_p(new)}", old, new)
    else:
        before, after = a["range"], b["range"]
        for key in dict.fromkeys([*before, *after]):
            if before.get(key) != after.get(key):
                detail = f"{key} {before.get(key, '-')} -> {after.get(key, '-')}"
                yield Change(
                    "property", name, "changed", where, detail, before.get(key), after.get(key)
                )


def diff_property(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[Change]:
    name = str(a["name"])
    changes: list[Change] = []
    if a.get("type") != b.get("type"):
        changes.append(Change("property", name, "changed", "type", f"{a['type']} -> {b['type']}"))
    parents_a, parents_b = a.get("depends_on", []), b.get("depends_on", [])
    if parents_a != parents_b:
        shown = f"[{', '.join(parents_a)}] -> [{', '.join(parents_b)}]"
        changes.append(
            Change("property", name, "changed", "depends on", shown, parents_a, parents_b)
        )
        before, after = summarise_property(a), summarise_property(b)
        changes.append(
            Change(
                "property", name, "changed", "distribution", f"{before} -> {after}", before, after
            )
        )
        return changes
    leaves_a, leaves_b = _flatten(a), _flatten(b)
    for where in [*leaves_a, *(w for w in leaves_b if w not in leaves_a)]:
        if where not in leaves_b:
            changes.append(
                Change("property", name, "removed", where, summarise_leaf(leaves_a[where]))
            )
        elif where not in leaves_a:
            changes.append(
                Change("property", name, "added", where, summarise_leaf(leaves_b[where]))
            )
        else:
            changes.extend(_compare_leaf(name, where, leaves_a[where], leaves_b[where]))
    if a.get("description") != b.get("description"):
        changes.append(
            Change(
                "property",
                name,
                "changed",
                "description",
                "reworded",
                a.get("description"),
                b.get("description"),
            )
        )
    return changes


def _overall(spec: Spec, name: str) -> dict[str, float] | None:
    prop = spec.by_name.get(name)
    if prop is None or prop.continuous:
        return None
    return {format_key(v): p for v, p in expected_distribution(spec, name).items()}


def diff_overall(a: Spec, b: Spec, name: str) -> list[Change]:
    before, after = _overall(a, name), _overall(b, name)
    if before is None or after is None:
        return []
    if set(before) | set(after) <= {"true", "false"}:
        # A yes/no property: the share of "true" says it all.
        before, after = {"true": before.get("true", 0.0)}, {"true": after.get("true", 0.0)}
    moved = [
        v
        for v in dict.fromkeys([*before, *after])
        if abs(before.get(v, 0.0) - after.get(v, 0.0)) > 5e-4
    ]
    if not moved:
        return []
    detail = ", ".join(f"{v} {_p(before.get(v, 0.0))} -> {_p(after.get(v, 0.0))}" for v in moved)
    return [
        Change(
            "property",
            name,
            "changed",
            "overall",
            detail,
            {v: before.get(v, 0.0) for v in moved},
            {v: after.get(v, 0.0) for v in moved},
        )
    ]


def _shares(domains: Mapping[str, float]) -> dict[str, float]:
    total = sum(domains.values()) or 1.0
    return {k: w / total for k, w in domains.items()}


def diff_domains(a: Mapping[str, float], b: Mapping[str, float]) -> list[Change]:
    before, after = _shares(a), _shares(b)
    changes = [
        Change("domains", "", "removed", d, f"share {_p(p)}", p, None)
        for d, p in before.items()
        if d not in after
    ]
    changes += [
        Change("domains", "", "added", d, f"share {_p(p)}", None, p)
        for d, p in after.items()
        if d not in before
    ]
    changes += [
        Change("domains", "", "changed", d, f"share {_p(p)} -> {_p(after[d])}", p, after[d])
        for d, p in before.items()
        if d in after and abs(p - after[d]) > EPSILON
    ]
    return changes


def _forbid_text(constraint: Mapping[str, Any]) -> str:
    parts = [f"{k} in {list(map(format_key, v))}" for k, v in constraint["forbid"].items()]
    return "forbid " + " and ".join(parts)


def diff_constraints(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> list[Change]:
    by_a, by_b = {c["name"]: c for c in a}, {c["name"]: c for c in b}
    changes = [
        Change("constraint", n, "removed", "", _forbid_text(c))
        for n, c in by_a.items()
        if n not in by_b
    ]
    changes += [
        Change("constraint", n, "added", "", _forbid_text(c))
        for n, c in by_b.items()
        if n not in by_a
    ]
    for n, c in by_a.items():
        if n in by_b and c["forbid"] != by_b[n]["forbid"]:
            before, after = _forbid_text(c), _forbid_text(by_b[n])
            changes.append(
                Change("constraint", n, "changed", "", f"{before} -> {after}", before, after)
            )
    return changes


def diff_specs(a: Spec, b: Spec, *, overall: bool = True) -> SpecDiff:
    """Every difference between spec `a` (before) and `b` (after)."""
    doc_a, doc_b = a.to_document(), b.to_document()
    diff = SpecDiff()
    for key in ("name", "description"):
        if doc_a[key] != doc_b[key]:
            detail = f"{doc_a[key]!r} -> {doc_b[key]!r}"
            diff.changes.append(Change("spec", "", "changed", key, detail, doc_a[key], doc_b[key]))
    diff.changes += diff_domains(doc_a["domains"], doc_b["domains"])
    props_a = {p["name"]: p for p in doc_a["properties"]}
    props_b = {p["name"]: p for p in doc_b["properties"]}
    for name, prop in props_a.items():
        if name not in props_b:
            diff.changes.append(Change("property", name, "removed", "", summarise_property(prop)))
    for name, prop in props_b.items():
        if name not in props_a:
            diff.changes.append(Change("property", name, "added", "", summarise_property(prop)))
            continue
        diff.changes += diff_property(props_a[name], prop)
        if overall:
            diff.changes += diff_overall(a, b, name)
    diff.changes += diff_constraints(doc_a["constraints"], doc_b["constraints"])
    return diff
