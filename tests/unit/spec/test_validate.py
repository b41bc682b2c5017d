"""Validation: each kind of broken spec gets a clear message; SpecError lists all problems."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from shared.spec import SpecError, build_spec, load_spec, validate_spec

Document = dict[str, Any]


def _prop(document: Document, name: str) -> dict[str, Any]:
    return next(p for p in document["properties"] if p["name"] == name)


def _set_values(name: str, values: dict[str, float]) -> Callable[[Document], None]:
    return lambda d: _prop(d, name).update(values=values)


def _add_property(prop: dict[str, Any]) -> Callable[[Document], None]:
    return lambda d: d["properties"].append(prop)


def _add_constraint(forbid: dict[str, Any], name: str = "extra") -> Callable[[Document], None]:
    return lambda d: d["constraints"].append({"name": name, "forbid": forbid})


def _make_cycle(d: Document) -> None:
    complexity = _prop(d, "complexity")
    del complexity["values"]
    complexity["depends_on"] = ["uses_cte"]
    complexity["conditional"] = {"true": {"hard": 1.0}, "false": {"easy": 0.5, "medium": 0.5}}


def _drop_branch(d: Document) -> None:
    del _prop(d, "join_kind")["conditional"]["3"]


def _extra_branch(d: Document) -> None:
    _prop(d, "join_kind")["conditional"]["6"] = {"values": {"inner": 1.0}}


def _mix_kinds(d: Document) -> None:
    _prop(d, "uses_cte")["conditional"]["hard"] = {"values": {"yes": 1.0}}


BROKEN: list[tuple[str, Callable[[Document], None], str]] = [
    (
        "probabilities",
        _set_values("complexity", {"easy": 0.3, "medium": 0.4, "hard": 0.2}),
        "(complexity): probabilities sum to 0.9, not 1",
    ),
    ("missing_branch", _drop_branch, "no distribution for num_tables=3"),
    ("extra_branch", _extra_branch, "key num_tables=6 is not a value num_tables takes"),
    (
        "ddl_task",
        _set_values("task_type", {"data definition": 0.1, "data retrieval": 0.9}),
        "unknown task_type 'data definition' (data definition (DDL) tasks are excluded",
    ),
    (
        "unknown_style",
        _set_values("prompt_style", {"shouting": 1.0}),
        "unknown prompt_style 'shouting'",
    ),
    (
        "too_many_tables",
        _add_constraint({"num_tables": [12]}),
        "num_tables 12 is above the maximum 8",
    ),
    ("cycle", _make_cycle, "dependency cycle: complexity -> uses_cte -> complexity"),
    (
        "unknown_parent",
        _add_property({"name": "x", "depends_on": ["nope"], "conditional": {"*": 0.5}}),
        "(x): depends on unknown property 'nope'",
    ),
    ("mixed_kinds", _mix_kinds, "branches mix distribution kinds"),
    (
        "wrong_type",
        lambda d: _prop(d, "num_tables").update(type="str"),
        "num_tables must have type int",
    ),
    (
        "yaml_boolean",
        _add_property({"name": "answer", "values": {True: 0.5, "maybe": 0.5}}),
        "True was read as a boolean (YAML yes/no/true/false); quote it",
    ),
    (
        "bernoulli_range",
        _add_property({"name": "x", "bernoulli": 1.5}),
        "bernoulli p 1.5 must be a number in [0, 1]",
    ),
    (
        "range_order",
        _add_property({"name": "x", "range": {"min": 5, "max": 1}}),
        "range min 5 is above max 1",
    ),
    (
        "range_mean",
        _add_property(
            {"name": "x", "range": {"min": 1, "max": 5, "distribution": "normal", "mean": 9}}
        ),
        "mean 9 must be a number within [min, max]",
    ),
    (
        "range_shape",
        _add_property({"name": "x", "range": {"min": 1, "max": 5, "distribution": "zipf"}}),
        "distribution 'zipf' must be one of uniform, normal",
    ),
    (
        "continuous_parent",
        lambda d: d["properties"].extend(
            [
                {"name": "share", "range": {"min": 0.0, "max": 1.0}},
                {"name": "x", "depends_on": ["share"], "conditional": {"*": 0.5}},
            ]
        ),
        "cannot depend on continuous property share",
    ),
    ("unknown_key", lambda d: d.update(sampler={}), "unknown key 'sampler'"),
    (
        "duplicate_property",
        _add_property({"name": "complexity", "values": {"easy": 1.0}}),
        "property name 'complexity' is defined twice",
    ),
    (
        "reserved_domain",
        _add_property({"name": "domain", "values": {"retail": 1.0}}),
        "property name 'domain' is reserved (use `domains:`)",
    ),
    ("domain_name", lambda d: d.update(domains=["Retail Stores"]), "must be a snake_case name"),
    ("domain_weight", lambda d: d.update(domains={"retail": -1}), "must be a number >= 0"),
    (
        "constraint_property",
        _add_constraint({"mood": ["happy"]}),
        "forbids values of unknown property 'mood'",
    ),
    (
        "constraint_value",
        _add_constraint({"join_kind": ["outer"]}),
        "unknown join_kind 'outer'",
    ),
    (
        "everything_forbidden",
        _add_constraint({"complexity": ["easy", "medium", "hard"]}, name="nothing_left"),
        "no blueprint satisfies the coherence rules and constraints; rejected by constraint "
        "nothing_left",
    ),
    (
        "values_made_impossible",
        _add_constraint({"join_kind": ["inner", "left", "cross"]}, name="no_joins"),
        "property num_tables: 2, 3, 4, 5 can never be drawn (probability > 0, but every draw "
        "with it is rejected by constraint no_joins)",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "message"), [(m, t) for _, m, t in BROKEN], ids=[n for n, _, _ in BROKEN]
)
def test_broken_spec_is_reported(
    document: Document, mutate: Callable[[Document], None], message: str
) -> None:
    mutate(document)
    problems = validate_spec(document)
    assert any(message in p for p in problems), problems
    with pytest.raises(SpecError) as caught:
        build_spec(document)
    assert caught.value.errors == problems


def test_having_without_group_by_is_rejected_by_the_rule() -> None:
    document = {"domains": ["retail"], "properties": [{"name": "uses_having", "bernoulli": 0.5}]}
    problems = validate_spec(document)
    assert problems == [
        "property uses_having: True can never be drawn (probability > 0, but every draw with it "
        "is rejected by rule having_needs_group_by: uses_having requires uses_group_by)"
    ]


def test_low_acceptance_is_an_error() -> None:
    document = {
        "domains": ["retail"],
        "properties": [{"name": "x", "values": {"a": 0.995, "b": 0.005}}],
        "constraints": [{"name": "no_a", "forbid": {"x": "a"}}],
    }
    problems = validate_spec(document)
    assert any("only 0.50% of draws are accepted (minimum 1%)" in p for p in problems), problems


def test_spec_error_lists_every_problem(document: Document) -> None:
    _set_values("complexity", {"easy": 0.5, "medium": 0.4, "hard": 0.2})(document)
    _drop_branch(document)
    document["surprise"] = True
    with pytest.raises(SpecError) as caught:
        build_spec(document)
    text = str(caught.value)
    assert "invalid spec (3 problem(s))" in text
    for fragment in ("sum to 1.1", "num_tables=3", "unknown key 'surprise'"):
        assert fragment in text


def test_default_spec_is_valid(document: Document) -> None:
    assert validate_spec(document) == []
    assert validate_spec({}) == []


def test_load_spec_names_the_file(tmp_path: Path) -> None:
    broken_yaml = tmp_path / "broken.yaml"
    broken_yaml.write_text("properties: [name: x\n", encoding="utf-8")
    with pytest.raises(SpecError, match=r"broken\.yaml: not valid YAML"):
        load_spec(broken_yaml)
    invalid = tmp_path / "invalid.yaml"
    invalid.write_text(
        "domains: [retail]\nproperties:\n  - name: complexity\n    values: {easy: 0.5}\n",
        encoding="utf-8",
    )
    with pytest.raises(SpecError) as caught:
        load_spec(invalid)
    assert caught.value.errors == [
        f"{invalid}: properties[0] (complexity): probabilities sum to 0.5, not 1 (tolerance 1e-06)"
    ]
    with pytest.raises(SpecError, match="cannot read"):
        load_spec(tmp_path / "missing.yaml")


def test_yaml_spec_with_conditionals_loads(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(
        """
domains: {retail: 2, banking: 1}
properties:
  - name: num_tables
    values: {1: 0.5, 2: 0.5}
  - name: join_kind
    depends_on: [num_tables]
    conditional:
      1: {none: 1.0}
      2: {inner: 0.6, left: 0.4}
  - name: answer_has_null
    bernoulli: 0.1
constraints:
  - forbid: {join_kind: [right, full]}
""",
        encoding="utf-8",
    )
    spec = load_spec(path)
    assert [p.name for p in spec.properties] == ["num_tables", "join_kind", "answer_has_null"]
    assert spec.constraints[0].name == "constraint_1"
