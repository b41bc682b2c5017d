"""Fixtures of the spec tests: the default spec, its document, and one big batch of draws."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from proto.sample import Blueprint
from shared.spec import BlueprintSampler, Spec, default_spec

DRAWS = 8000
SEED = 20240601


@pytest.fixture(scope="session")
def spec() -> Spec:
    return default_spec()


@pytest.fixture
def document(spec: Spec) -> dict[str, Any]:
    """A fresh, mutable copy of the default spec's canonical document."""
    return copy.deepcopy(spec.to_document())


@pytest.fixture(scope="session")
def draws(spec: Spec) -> list[Blueprint]:
    return BlueprintSampler(spec, seed=SEED).draw_many(DRAWS)
