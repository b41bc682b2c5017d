"""`diff_specs`: every kind of change, with before -> after."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from shared.spec import build_spec, default_spec
from shared.spec.diff import diff_specs


@pytest.fixture
def document() -> dict[str, Any]:
    return copy.deepcopy(default_spec().to_document())


def prop(document: dict[str, Any], name: str) -> dict[str, Any]:
    return next(p for p in document["properties"] if p["name"] == name)


def test_identical_specs_have_no_changes() -> None:
    diff = diff_specs(default_spec(), default_spec())
    assert diff.empty
    assert diff.render() == "no differences"


def test_probability_changes_show_before_and_after(document: dict[str, Any]) -> None:
    prop(document, "complexity")["values"] = {"easy": 0.2, "medium": 0.4, "hard": 0.4}
    prop(document, "join_kind")["conditional"]["2"] = {"inner": 0.7, "left": 0.2, "cross": 0.1}
    diff = diff_specs(default_spec(), build_spec(document))
    changes = {(c.target, c.where, c.detail) for c in diff.changes}
    assert ("complexity", "", "p(easy) 0.3 -> 0.2") in changes
    assert ("complexity", "", "p(hard) 0.3 -> 0.4") in changes
    assert ("join_kind", "num_tables=2", "p(inner) 0.78 -> 0.7") in changes
    overall = [c for c in diff.changes if c.target == "complexity" and c.where == "overall"]
    assert overall and overall[0].after["hard"] == pytest.approx(0.4)
    rendered = diff.render()
    assert "property complexity:" in rendered and "p(easy) 0.3 -> 0.2" in rendered


def test_added_and_removed_properties_constraints_domains(document: dict[str, Any]) -> None:
    document["properties"] = [p for p in document["properties"] if p["name"] != "uses_case"]
    document["properties"].append(
        {"name": "nesting_depth", "type": "int", "values": {"0": 0.7, "1": 0.3}}
    )
    document["constraints"] = [c for c in document["constraints"] if c["name"] != "easy_is_small"]
    document["domains"] = {"retail": 2, "banking": 1}
    diff = diff_specs(default_spec(), build_spec(document))
    kinds = {(c.section, c.target or c.where, c.kind) for c in diff.changes}
    assert ("property", "uses_case", "removed") in kinds
    assert ("property", "nesting_depth", "added") in kinds
    assert ("constraint", "easy_is_small", "removed") in kinds
    assert ("domains", "museum", "removed") in kinds
    retail = next(c for c in diff.changes if c.section == "domains" and c.where == "retail")
    assert retail.after == pytest.approx(2 / 3)


def test_new_parents_show_the_whole_distribution(document: dict[str, Any]) -> None:
    prop(document, "uses_order_by").pop("conditional")
    prop(document, "uses_order_by").pop("depends_on")
    prop(document, "uses_order_by")["bernoulli"] = 0.5
    diff = diff_specs(default_spec(), build_spec(document), overall=False)
    where = {c.where: c for c in diff.changes if c.target == "uses_order_by"}
    assert where["depends on"].detail == "[complexity] -> []"
    assert "p 0.5" in where["distribution"].detail
    assert "overall" not in where
    assert diff.to_json()["changed"] is True
