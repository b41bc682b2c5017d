"""Generation speed over the default spec's blueprint distribution (no database involved)."""

from __future__ import annotations

import time

import pytest

from shared.generation.template.catalogue import domain_names
from shared.generation.template.engine import TemplateEngine
from shared.generation.template.schema_instance import build_schema
from shared.spec.sampler import BlueprintSampler
from shared.spec.validate import default_spec


@pytest.mark.slow
def test_average_generation_time_over_2000_blueprints() -> None:
    engine = TemplateEngine()
    blueprints = BlueprintSampler(default_spec(), seed=1).draw_many(2000)
    for name in domain_names():  # schema instances are built once per process and cached
        for variant in range(engine.schema_variants):
            build_schema(name, variant)
    started = time.perf_counter()
    for i, bp in enumerate(blueprints):
        engine.generate(bp, seed=i)
    average_ms = (time.perf_counter() - started) / len(blueprints) * 1000
    print(f"\naverage generate(): {average_ms:.2f} ms over {len(blueprints)} blueprints")
    # The target is 5 ms on an idle core; the bound leaves room for a shared test machine.
    assert average_ms < 15
