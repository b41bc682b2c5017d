"""Edits to a spec document, as the model proposes them for written objectives, and applying them.

An edit is one of: set a property's distribution (marginal or conditional), add a property, add
a conditional distribution to an existing property, add or remove a constraint, remove a
property, or set the domains. Every edit carries `why`, the objective it serves, which is kept
in the edited property's `evidence.objectives` so the YAML explains itself.

Distributions travel as lists (`values: [{value, probability}]`, conditional `branches: [{when:
[parent values...], values | bernoulli}]`), which a strict tool schema can express; they become
the spec's nested mappings here. Probabilities that sum to within 1% of one are renormalised
(model arithmetic); anything further off is left for validation to report.
"""

from __future__ import annotations

import copy
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.spec.seed_estimate import round_shares

RENORMALISE_WITHIN = 0.01
Op = Literal[
    "set_distribution",
    "add_property",
    "add_conditional",
    "add_constraint",
    "remove_property",
    "remove_constraint",
    "set_domains",
]


class EditModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ValueShare(EditModel):
    value: str = Field(description="a value of the property (numbers and true/false as text)")
    probability: float = Field(ge=0, le=1)


class RangeBody(EditModel):
    min: float
    max: float
    distribution: Literal["uniform", "normal"] = "uniform"
    mean: float | None = None
    std: float | None = None


class Branch(EditModel):
    when: list[str] = Field(
        description="one value per depends_on property, in order; '*' = any value not listed"
    )
    values: list[ValueShare] | None = Field(default=None, description="categorical leaf")
    bernoulli: float | None = Field(default=None, ge=0, le=1, description="p of true")


class ForbidItem(EditModel):
    property: str
    values: list[str]


class DomainWeight(EditModel):
    name: str
    weight: float = Field(ge=0)


class SpecEdit(EditModel):
    op: Op
    target: str = Field(
        description="the property or constraint the edit is about ('domains' for set_domains)"
    )
    why: str = Field(description="the objective this edit serves and how, in one sentence")
    description: str | None = None
    type: Literal["str", "int", "float", "bool"] | None = None
    values: list[ValueShare] | None = None
    bernoulli: float | None = Field(default=None, ge=0, le=1)
    range: RangeBody | None = None
    depends_on: list[str] | None = None
    branches: list[Branch] | None = None
    forbid: list[ForbidItem] | None = None
    domains: list[DomainWeight] | None = None


class EditsAnswer(EditModel):
    reasoning: str = Field(description="how the objectives translate into edits, briefly")
    edits: list[SpecEdit]


def shares_of(values: list[ValueShare]) -> dict[str, float]:
    shares = {item.value: item.probability for item in values}
    total = sum(shares.values())
    if total > 0 and abs(total - 1.0) <= RENORMALISE_WITHIN:
        return {
            str(k): p for k, p in round_shares({k: p / total for k, p in shares.items()}).items()
        }
    return shares


def build_leaf(values: list[ValueShare] | None, bernoulli: float | None) -> Any:
    if values is not None and bernoulli is None:
        return {"values": shares_of(values)}
    if bernoulli is not None and values is None:
        return bernoulli
    raise ValueError("give exactly one of values or bernoulli")


def build_conditional(depends_on: list[str], branches: list[Branch]) -> dict[str, Any]:
    if not depends_on:
        raise ValueError("depends_on must name at least one property")
    if not branches:
        raise ValueError("branches must not be empty")
    tree: dict[str, Any] = {}
    for branch in branches:
        if len(branch.when) != len(depends_on):
            raise ValueError(
                f"branch when={branch.when} needs one value per depends_on {depends_on}"
            )
        node = tree
        for key in branch.when[:-1]:
            child = node.setdefault(key, {})
            if not isinstance(child, dict):
                raise ValueError(f"branch when={branch.when} clashes with another branch")
            node = child
        if branch.when[-1] in node:
            raise ValueError(f"branch when={branch.when} is given twice")
        node[branch.when[-1]] = build_leaf(branch.values, branch.bernoulli)
    return tree


def distribution_body(edit: SpecEdit) -> dict[str, Any]:
    """The distribution keys of a property document for an edit (marginal or conditional)."""
    if edit.depends_on is not None or edit.branches is not None:
        return {
            "depends_on": list(edit.depends_on or []),
            "conditional": build_conditional(list(edit.depends_on or []), edit.branches or []),
        }
    given = [k for k in ("values", "bernoulli", "range") if getattr(edit, k) is not None]
    if len(given) != 1:
        raise ValueError("give exactly one of values, bernoulli, range, or depends_on + branches")
    if edit.values is not None:
        return {"values": shares_of(edit.values)}
    if edit.bernoulli is not None:
        return {"bernoulli": edit.bernoulli}
    assert edit.range is not None
    body = edit.range.model_dump(exclude_none=True)
    if edit.type == "int" or (
        edit.type is None and all(float(body[k]).is_integer() for k in ("min", "max"))
    ):
        body["min"], body["max"] = int(body["min"]), int(body["max"])
    return {"range": body}


def _find(properties: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    return next((p for p in properties if p.get("name") == name), None)


def _note(prop: dict[str, Any], why: str) -> None:
    evidence = prop.setdefault("evidence", {})
    if isinstance(evidence, dict):
        evidence.setdefault("objectives", []).append(why)


def _set_body(prop: dict[str, Any], edit: SpecEdit) -> None:
    body = distribution_body(edit)
    for key in ("values", "bernoulli", "range", "depends_on", "conditional"):
        prop.pop(key, None)
    prop.update(body)
    if edit.description:
        prop["description"] = edit.description
    _note(prop, edit.why)


def apply_edit(document: dict[str, Any], edit: SpecEdit) -> None:
    """Apply one edit in place; ValueError says why it cannot be applied."""
    properties: list[dict[str, Any]] = document.setdefault("properties", [])
    constraints: list[dict[str, Any]] = document.setdefault("constraints", [])
    prop = _find(properties, edit.target)
    if edit.op in ("set_distribution", "add_conditional"):
        if prop is None:
            raise ValueError(f"no property {edit.target!r} (use add_property)")
        if edit.op == "add_conditional" and not (edit.depends_on and edit.branches):
            raise ValueError("add_conditional needs depends_on and branches")
        _set_body(prop, edit)
    elif edit.op == "add_property":
        if prop is not None:
            raise ValueError(f"property {edit.target!r} exists (use set_distribution)")
        new: dict[str, Any] = {"name": edit.target, "description": edit.description or ""}
        if edit.type:
            new["type"] = edit.type
        _set_body(new, edit)
        properties.append(new)
    elif edit.op == "remove_property":
        if prop is None:
            raise ValueError(f"no property {edit.target!r}")
        properties.remove(prop)
    elif edit.op == "add_constraint":
        if any(c.get("name") == edit.target for c in constraints):
            raise ValueError(f"constraint {edit.target!r} exists")
        if not edit.forbid:
            raise ValueError("add_constraint needs forbid")
        forbid = {item.property: list(item.values) for item in edit.forbid}
        constraints.append(
            {"name": edit.target, "description": edit.description or edit.why, "forbid": forbid}
        )
    elif edit.op == "remove_constraint":
        kept = [c for c in constraints if c.get("name") != edit.target]
        if len(kept) == len(constraints):
            raise ValueError(f"no constraint {edit.target!r}")
        document["constraints"] = kept
    else:
        if not edit.domains:
            raise ValueError("set_domains needs domains")
        document["domains"] = {d.name: d.weight for d in edit.domains}


def apply_edits(
    document: dict[str, Any], edits: list[SpecEdit]
) -> tuple[dict[str, Any], list[SpecEdit], list[str]]:
    """(edited copy, edits applied, problems of the edits that could not be applied)."""
    edited = copy.deepcopy(document)
    applied: list[SpecEdit] = []
    problems: list[str] = []
    for index, edit in enumerate(edits):
        try:
            apply_edit(edited, edit)
        except ValueError as exc:
            problems.append(f"edit {index + 1} ({edit.op} {edit.target}): not applied: {exc}")
            continue
        applied.append(edit)
    return edited, applied, problems
