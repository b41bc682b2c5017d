"""Distinct schemas among the first N blueprints of the default spec (issue 17's measure).

python bench/seeded_values/distinct_schemas.py [N] [VARIANTS]
"""

from __future__ import annotations

import sys

from shared.generation.template.engine import TemplateEngine
from shared.generation.template.schema.variants import schema_signature
from shared.spec.sampler import BlueprintSampler
from shared.spec.validate import default_spec

count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
variants = int(sys.argv[2]) if len(sys.argv) > 2 else 24
sampler = BlueprintSampler(default_spec(), seed=0)
engine = TemplateEngine(schema_variants=variants)
signatures = set()
domains = set()
for index in range(count):
    blueprint = sampler.draw_at(index)
    signatures.add(schema_signature(engine._instance(blueprint, seed=index).domain))
    domains.add(blueprint.domain)
print(f"{count} blueprints, {len(domains)} domains, {len(signatures)} distinct schemas")
