"""Fixtures of the spec-building tests: specs measured from the real Gretel and Spider data."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from proto.sample import Blueprint
from shared.spec import BlueprintSampler, Spec, build_spec
from shared.spec.from_seeds import SeedSpec, spec_from_seeds
from shared.spec.spec_yaml import dump_spec_yaml

DRAWS = 5000
SEED = 20240917


@pytest.fixture(scope="session")
def gretel_path(data_dir: Path) -> Path:
    return data_dir / "gretel" / "gretel_sample_1000.jsonl"


@pytest.fixture(scope="session")
def spider_path(data_dir: Path) -> Path:
    return data_dir / "spider" / "dev.json"


@pytest.fixture(scope="session")
def gretel_built(gretel_path: Path) -> SeedSpec:
    return spec_from_seeds(gretel_path)


@pytest.fixture(scope="session")
def spider_built(spider_path: Path) -> SeedSpec:
    return spec_from_seeds(spider_path)


def reload(built: SeedSpec) -> Spec:
    """The spec as a user gets it: written as YAML and read back."""
    return build_spec(yaml.safe_load(dump_spec_yaml(built.document)))


@pytest.fixture(scope="session")
def gretel_spec(gretel_built: SeedSpec) -> Spec:
    return reload(gretel_built)


@pytest.fixture(scope="session")
def gretel_draws(gretel_spec: Spec) -> list[Blueprint]:
    return BlueprintSampler(gretel_spec, seed=SEED).draw_many(DRAWS)


@pytest.fixture(scope="session")
def spider_draws(spider_built: SeedSpec) -> list[Blueprint]:
    return BlueprintSampler(reload(spider_built), seed=SEED).draw_many(DRAWS)
