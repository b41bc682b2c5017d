"""The sampler: reproducible per (seed, index), coherent blueprints, bounded rejection."""

from __future__ import annotations

import random
from typing import Any

import pytest

from proto.common import JoinKind, SqlFeature
from proto.sample import Blueprint
from shared.spec import (
    BlueprintSampler,
    SamplingError,
    Spec,
    build_spec,
    feature_property,
    label_sql_complexity,
)


def test_same_seed_same_blueprints(spec: Spec) -> None:
    first = BlueprintSampler(spec, seed=11).draw_many(300)
    second = BlueprintSampler(spec, seed=11).draw_many(300)
    assert first == second
    other = BlueprintSampler(spec, seed=12).draw_many(300)
    assert sum(a != b for a, b in zip(first, other, strict=True)) > 250


def test_draw_at_does_not_depend_on_order(spec: Spec) -> None:
    sequential = BlueprintSampler(spec, seed=5).draw_many(200)
    indices = list(range(200))
    random.Random(0).shuffle(indices)
    shuffled = BlueprintSampler(spec, seed=5)
    by_index = {i: shuffled.draw_at(i) for i in indices}
    assert [by_index[i] for i in range(200)] == sequential
    assert shuffled.position == 0  # draw_at leaves the sequence alone


def test_draw_advances_position(spec: Spec) -> None:
    sampler = BlueprintSampler(spec, seed=3)
    first, second = sampler.draw(), sampler.draw()
    assert sampler.position == 2
    assert (first, second) == (sampler.draw_at(0), sampler.draw_at(1))


def test_invalid_arguments_are_refused(spec: Spec) -> None:
    with pytest.raises(ValueError, match="seed"):
        BlueprintSampler(spec, seed=-1)
    with pytest.raises(ValueError, match="index"):
        BlueprintSampler(spec).draw_at(-3)


def _check_coherent(blueprint: Blueprint, spec: Spec) -> None:
    features = set(blueprint.features)
    assert (blueprint.num_tables == 1) == (blueprint.join_kind is None)
    assert blueprint.join_kind not in (JoinKind.RIGHT, JoinKind.FULL)
    if SqlFeature.HAVING in features:
        assert {SqlFeature.GROUP_BY, SqlFeature.AGGREGATE} <= features
    if SqlFeature.GROUP_BY in features:
        assert SqlFeature.AGGREGATE in features
    if SqlFeature.LIMIT in features:
        assert SqlFeature.ORDER_BY in features
    assert 1 <= blueprint.num_tables <= 5
    props = blueprint.properties
    assert set(props) == set(spec.by_name)
    assert features == {f for f in SqlFeature if props[feature_property(f)] is True}
    assert blueprint.sql_complexity == label_sql_complexity(
        features, blueprint.num_tables, blueprint.join_kind is not None
    )
    assert (blueprint.domain, blueprint.complexity.value) == (props["domain"], props["complexity"])
    assert Blueprint.model_validate_json(blueprint.model_dump_json()) == blueprint


def test_every_draw_is_coherent(spec: Spec, draws: list[Blueprint]) -> None:
    for blueprint in draws:
        _check_coherent(blueprint, spec)
    columns = [b.properties["columns_per_table"] for b in draws]
    assert all(isinstance(c, int) and 3 <= c <= 10 for c in columns)


def _spec(properties: list[dict[str, Any]], constraints: list[dict[str, Any]]) -> Spec:
    return build_spec({"domains": ["retail"], "properties": properties, "constraints": constraints})


def test_incoherent_spec_is_repaired_by_rejection() -> None:
    # HAVING drawn independently of GROUP BY: the rule must reject those draws, not pass them.
    spec = _spec(
        [
            {"name": "uses_aggregate", "bernoulli": 0.7},
            {
                "name": "uses_group_by",
                "depends_on": ["uses_aggregate"],
                "conditional": {True: 0.6, False: 0.0},
            },
            {"name": "uses_having", "bernoulli": 0.3},
        ],
        [],
    )
    blueprints = BlueprintSampler(spec, seed=1).draw_many(2000)
    with_having = [b for b in blueprints if SqlFeature.HAVING in b.features]
    assert with_having
    assert all(SqlFeature.GROUP_BY in b.features for b in with_having)


def test_rejection_is_bounded() -> None:
    spec = _spec(
        [
            {"name": "coin", "values": {"heads": 0.5, "tails": 0.5}},
            {"name": "lucky", "bernoulli": 0.5},
        ],
        [{"name": "no_lucky_heads", "forbid": {"coin": "heads", "lucky": True}}],
    )
    impatient = BlueprintSampler(spec, seed=0, max_tries=1)
    pattern = r"no draw in 1 satisfied the constraints .*no_lucky_heads"
    with pytest.raises(SamplingError, match=pattern):
        for index in range(64):  # a quarter of single tries are rejected
            impatient.draw_at(index)
    patient = BlueprintSampler(spec, seed=0)
    pairs = {(b.properties["coin"], b.properties["lucky"]) for b in patient.draw_many(400)}
    assert pairs == {("heads", False), ("tails", True), ("tails", False)}


def test_unknown_properties_are_kept_and_defaults_fill_the_rest() -> None:
    spec = _spec([{"name": "answer_has_null", "bernoulli": 0.25}], [])
    blueprints = BlueprintSampler(spec, seed=2).draw_many(400)
    flags = [b.properties["answer_has_null"] for b in blueprints]
    assert {type(f) for f in flags} == {bool}
    assert 0.18 < sum(f is True for f in flags) / len(flags) < 0.32
    plain = Blueprint(domain="retail")
    assert all(b.num_tables == 1 and b.join_kind is None for b in blueprints)
    assert all(b.complexity == plain.complexity for b in blueprints)
    assert all(b.sql_complexity == "basic SQL" and b.features == [] for b in blueprints)
