"""Seed domains mapped onto the template catalogue, and measured specs run through the template
engine as `sqlsynth run --spec` would draw them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared.errors import GenerationError
from shared.generation.template.engine import TemplateEngine
from shared.generation.template.schema.catalogue import domain_names
from shared.spec import BlueprintSampler, Spec, load_spec, validate_spec
from shared.spec.domain_map import map_domain
from shared.spec.from_seeds import SeedSpec, spec_from_seeds
from shared.spec.spec_yaml import write_spec_yaml

# Labels of Gretel's full synthetic_text_to_sql `domain` column.
GRETEL_LABELS = [
    "music",
    "financial services",
    "public health",
    "defense industry",
    "social media",
    "space exploration",
    "fashion retail",
    "sustainable energy",
]


@pytest.mark.parametrize(
    ("label", "domain"),
    [
        ("music", "media_streaming"),
        ("financial services", "banking"),
        ("social media", "social_network"),  # the longer phrase beats "media"
        ("space exploration", "space_missions"),
        ("fashion retail", "retail"),
        ("Real Estate", "real_estate"),
        ("telecom", "telecom"),
        ("restaurant operations", "restaurant"),
        ("xylophone tuning", None),
    ],
)
def test_labels_map_to_catalogue_domains(label: str, domain: str | None) -> None:
    assert map_domain(label) == domain


def test_default_domains_are_the_catalogue() -> None:
    spec = load_spec(None)
    assert sorted(name for name, _ in spec.domains) == domain_names()


def test_dataset_domains_become_weighted_catalogue_domains(
    gretel_path: Path, tmp_path: Path
) -> None:
    lines = gretel_path.read_text(encoding="utf-8").splitlines()[:160]
    labelled = tmp_path / "gretel_with_domains.jsonl"
    rows = [
        {**json.loads(line), "domain": GRETEL_LABELS[i % len(GRETEL_LABELS)]}
        for i, line in enumerate(lines)
    ]
    labelled.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    built = spec_from_seeds(labelled)
    assert validate_spec(built.document) == []
    domains = built.document["domains"]
    assert set(domains) <= set(domain_names())
    # Each label maps to its own catalogue domain, weighted by its measured seeds (DDL rows
    # are excluded, so not exactly 20 each).
    assert sorted(domains) == sorted(str(map_domain(label)) for label in GRETEL_LABELS)
    for label in GRETEL_LABELS:
        seen = sum(1 for row in built.seeds.rows if row.domain == label)
        assert domains[map_domain(label)] == seen
    assert built.document["evidence"]["domains"]["mapped_share"] == 1.0


def test_unmappable_domains_keep_the_default_list(gretel_path: Path, tmp_path: Path) -> None:
    lines = gretel_path.read_text(encoding="utf-8").splitlines()[:40]
    path = tmp_path / "odd_domains.jsonl"
    rows = [{**json.loads(line), "domain": "xylophone tuning"} for line in lines]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    built = spec_from_seeds(path)
    assert built.document["domains"] == [name for name, _ in load_spec(None).domains]
    assert any("kept the default domains" in note for note in built.notes)


@pytest.mark.parametrize("which", ["gretel_built", "spider_built"])
def test_template_engine_generates_from_measured_specs(
    which: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    built: SeedSpec = request.getfixturevalue(which)
    path = tmp_path / "spec.yaml"
    write_spec_yaml(path, built.document)
    spec: Spec = load_spec(path)  # what `sqlsynth run --spec` does
    sampler = BlueprintSampler(spec, seed=11)
    engine = TemplateEngine()
    failures = []
    for index in range(300):
        blueprint = sampler.draw_at(index)
        try:
            draft = engine.generate(blueprint, seed=index)
        except GenerationError as exc:
            failures.append((blueprint.model_dump(mode="json"), str(exc)))
            continue
        assert draft.sql and draft.question
    assert failures == []
