"""Template engine speed: `generate()` over the default spec's blueprints (no database).

`python -m bench generation [--count 2000]` prints mean and p95 ms per draft.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from shared.generation.template.engine import TemplateEngine
from shared.generation.template.instance.schema_instance import build_schema
from shared.generation.template.schema.catalogue import domain_names
from shared.spec.sampler import BlueprintSampler
from shared.spec.validate import default_spec


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench generation")
    parser.add_argument("--count", type=int, default=2000)
    args = parser.parse_args(argv)
    engine = TemplateEngine()
    blueprints = BlueprintSampler(default_spec(), seed=1).draw_many(args.count)
    for name in domain_names():  # schema instances are built once per process and cached
        for variant in range(engine.schema_variants):
            build_schema(name, variant)
    times = []
    for i, blueprint in enumerate(blueprints):
        started = time.perf_counter()
        engine.generate(blueprint, seed=i)
        times.append((time.perf_counter() - started) * 1000)
    print(
        json.dumps(
            {
                "count": args.count,
                "mean_ms": round(statistics.mean(times), 2),
                "p95_ms": round(sorted(times)[int(0.95 * (len(times) - 1))], 2),
            },
            indent=2,
        )
    )
    return 0
