"""Drafts of a fixed set of blueprints, to show a speed change leaves generation as it was.

    python -m bench drafts [--count 300] [--seed 3] [--out FILE]

Writes one JSON draft per line (`TemplateEngine.generate(blueprint, seed=i)` over
`BlueprintSampler(default_spec(), seed).draw_many(count)`) and prints their SHA-256 and the
CPU seconds it took. A blueprint the engine refuses (a `GenerationError`, which the pipeline
rejects with its reason) is written as its error line, so refusals are compared too.
Run it on the commit before and after a change (PYTHONPATH=<checkout>) and compare
the digests, or `cmp` the files: a speed change must give the same bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

from shared.errors import GenerationError
from shared.generation.template.engine import TemplateEngine
from shared.spec.sampler import BlueprintSampler
from shared.spec.validate import default_spec


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench drafts")
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    engine = TemplateEngine()
    blueprints = BlueprintSampler(default_spec(), seed=args.seed).draw_many(args.count)
    digest = hashlib.sha256()
    lines: list[str] = []
    refused = 0
    started = time.process_time()
    for i, blueprint in enumerate(blueprints):
        try:
            line = engine.generate(blueprint, seed=i).model_dump_json()
        except GenerationError as exc:
            refused += 1
            line = json.dumps({"refused": str(exc)})
        digest.update(line.encode() + b"\n")
        lines.append(line)
    cpu_s = time.process_time() - started
    if args.out is not None:
        args.out.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    summary = {"count": args.count, "refused": refused, "sha256": digest.hexdigest()}
    summary["cpu_s"] = round(cpu_s, 2)
    print(json.dumps(summary))
    return 0
