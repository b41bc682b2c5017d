"""Spec documents: round trips through JSON and the run request, shorthand forms, defaults."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from proto.run import RunRequest
from shared.spec import (
    DEFAULT_SPEC_PATH,
    Bernoulli,
    Categorical,
    Range,
    Shape,
    Spec,
    ValueType,
    build_spec,
    default_spec,
    load_spec,
    read_default_domains,
)


def test_default_document_round_trips_through_json(spec: Spec) -> None:
    document = spec.to_document()
    text = json.dumps(document)  # raises if not JSON-serialisable
    again = build_spec(json.loads(text))
    assert again == spec
    assert again.to_document() == document


def test_document_survives_the_run_request(spec: Spec) -> None:
    request = RunRequest(run_id="r1", count=10, spec=spec.to_document())
    decoded = RunRequest.model_validate_json(request.model_dump_json())
    assert build_spec(decoded.spec) == spec


def test_empty_document_means_the_default_spec() -> None:
    assert build_spec({}) == default_spec()
    assert load_spec(None) == load_spec(DEFAULT_SPEC_PATH)


def test_json_text_keys_read_back_typed(spec: Spec) -> None:
    document = json.loads(json.dumps(spec.to_document()))
    join = next(p for p in document["properties"] if p["name"] == "join_kind")
    assert "2" in join["conditional"]  # JSON turned the int key into text
    typed = build_spec(document).by_name["join_kind"]
    assert typed.distribution_for({"num_tables": 2}).declared() == ["inner", "left", "cross"]
    limit = build_spec(document).by_name["uses_limit"]
    assert limit.distribution_for({"uses_order_by": False}) == Bernoulli(0.0)


def _small(properties: list[dict[str, Any]]) -> Spec:
    return build_spec({"domains": ["retail"], "properties": properties})


def test_shorthand_and_full_forms_are_the_same_spec() -> None:
    short = _small(
        [
            {"name": "size", "values": {"s": 0.5, "l": 0.5}},
            {"name": "flag", "depends_on": ["size"], "conditional": {"s": 0.2, "l": 0.7}},
            {
                "name": "tone",
                "depends_on": ["size", "flag"],
                "conditional": {
                    "s": {"*": {"a": 1.0}},
                    "l": {True: {"a": 0.5, "b": 0.5}, "*": {"b": 1.0}},
                },
            },
        ]
    )
    full = _small(
        [
            {"name": "size", "type": "str", "values": {"s": 0.5, "l": 0.5}},
            {
                "name": "flag",
                "type": "bool",
                "depends_on": ["size"],
                "conditional": {"s": {"bernoulli": 0.2}, "l": {"bernoulli": 0.7}},
            },
            {
                "name": "tone",
                "depends_on": ["size", "flag"],
                "conditional": {
                    "s": {"*": {"values": {"a": 1.0}}},
                    "l": {"true": {"values": {"a": 0.5, "b": 0.5}}, "*": {"values": {"b": 1.0}}},
                },
            },
        ]
    )
    assert short == full
    tone = short.by_name["tone"]
    assert tone.distribution_for({"size": "l", "flag": False}) == Categorical((("b", 1.0),))
    assert tone.distribution_for({"size": "s", "flag": True}) == Categorical((("a", 1.0),))


def test_types_are_inferred_from_the_document() -> None:
    spec = _small(
        [
            {"name": "count", "values": {1: 0.5, 2: 0.5}},
            {"name": "share", "range": {"min": 0.0, "max": 1.5}},
            {"name": "rows", "range": {"min": 2, "max": 9, "distribution": "normal"}},
            {"name": "null_answer", "bernoulli": 0.1},
        ]
    )
    types = {name: spec.by_name[name].value_type for name in ("count", "share", "rows")}
    assert types == {"count": ValueType.INT, "share": ValueType.FLOAT, "rows": ValueType.INT}
    assert spec.by_name["null_answer"].distribution == Bernoulli(0.1)
    rows = spec.by_name["rows"].distribution
    assert rows == Range(2.0, 9.0, integer=True, shape=Shape.NORMAL)
    assert isinstance(rows, Range)
    assert (rows.centre, rows.spread) == (5.5, 7 / 4)  # defaults: midpoint, a quarter of the span


def test_domains_default_to_the_shipped_list() -> None:
    spec = build_spec({"properties": [{"name": "x", "bernoulli": 0.5}]})
    assert spec.domains == read_default_domains()
    assert len(spec.domains) >= 30


def test_domain_weights_are_normalised() -> None:
    spec = build_spec({"domains": {"retail": 3, "banking": 1}, "properties": []})
    assert spec.by_name["domain"].distribution == Categorical((("retail", 0.75), ("banking", 0.25)))
    draws = [spec.sample_values(np.random.default_rng(i))["domain"] for i in range(2000)]
    assert 0.70 < draws.count("retail") / len(draws) < 0.80
