"""Expansion yield: how many expanded variants survive the dedup service's near-duplicate search,
with the parent's question changed in place against a question realized from the variant's tree.

`python -m bench expansion RUN_DIR [--reword both|in-place|realized] [--limit N] [--seed S]`

Every SELECT record of RUN_DIR/dataset.jsonl seeds one expansion (`expand_pattern`: table, then
column, then value variants through the trial run on SQLite and the sense checks). Each variant
then meets the dedup service's three layers (`NearDedupStage`) over an in-memory Qdrant index
holding the whole dataset (as the dedup service holds a run's accepted samples); accepted
variants join the index. Per wording: seeds, variants drafted, how many questions were realized
from the tree, near-duplicates by layer, accepted, and accepted per seed (the yield). The three
engines are not run here (`sqlsynth run --mode explore-expand` measures the whole path).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import zlib
from collections import Counter
from pathlib import Path
from typing import Any

from proto import subjects
from proto.common import SeedMode
from proto.sample import SampleEnvelope
from shared.evolution.evolve import EvolveLog
from shared.evolution.expand import expand_pattern
from shared.evolution.near_dedup import near_dedup_stage
from shared.evolution.parents import Parent, parent_from_record
from shared.evolution.wording import Reword
from shared.similarity.embedders import load_embedder

RUN_ID = "bench-expansion"


def read_records(run_dir: Path) -> list[dict[str, Any]]:
    with (run_dir / "dataset.jsonl").open() as handle:
        return [json.loads(line) for line in handle if line.strip()]


async def measure(
    records: list[dict[str, Any]], reword: Reword, seed: int, limit: int | None
) -> dict[str, Any]:
    parents = [p for p in map(parent_from_record, records) if isinstance(p, Parent)]
    parents = parents[:limit] if limit else parents
    log = EvolveLog()
    kinds: Counter[str] = Counter()
    layers: Counter[str] = Counter()
    accepted = drafted = 0
    examples: list[dict[str, str]] = []
    embedder = await asyncio.to_thread(load_embedder)
    async with near_dedup_stage(records, RUN_ID, embedder) as stage:
        for parent in parents:
            rng = random.Random(seed ^ zlib.crc32(parent.id.encode()))
            found = expand_pattern(parent, rng, log, reword)
            if found is None:
                continue
            kind, draft = found
            drafted += 1
            kinds[kind.value] += 1
            blueprint = parent.blueprint.model_copy(
                update={"parent_id": parent.id, "seed_mode": SeedMode.PATTERN}
            )
            envelope = SampleEnvelope(
                run_id=RUN_ID,
                sample_id=f"{parent.id}~x",
                blueprint=blueprint,
                draft=draft,
            )
            (emit,) = await stage(envelope)
            if emit.subject == subjects.SAMPLE_ACCEPTED:
                accepted += 1
            else:
                layers[str(envelope.dedup.layer if envelope.dedup else "?")] += 1
            examples.append(
                {
                    "kind": kind.value,
                    "verdict": "accepted" if emit.subject == subjects.SAMPLE_ACCEPTED else "dup",
                    "parent": parent.draft.question,
                    "variant": draft.question,
                }
            )
    return {
        "reword": reword.value,
        "seeds": len(parents),
        "drafted": drafted,
        "kinds": dict(kinds),
        "worded": dict(log.worded),
        "near_duplicates": dict(layers),
        "accepted": accepted,
        "accepted_per_drafted": round(accepted / drafted, 3) if drafted else None,
        "accepted_per_seed": round(accepted / len(parents), 3) if parents else None,
        "dropped": dict(log.dropped.most_common(6)),
        "examples": examples,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench expansion")
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--reword", choices=["both", *(r.value for r in Reword)], default="both")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--examples", type=Path, default=None, help="write every pair here")
    args = parser.parse_args(argv)
    records = read_records(args.run_dir)
    modes = list(Reword) if args.reword == "both" else [Reword(args.reword)]
    results = [asyncio.run(measure(records, mode, args.seed, args.limit)) for mode in modes]
    if args.examples is not None:
        args.examples.write_text(json.dumps([r.pop("examples") for r in results], indent=1))
    else:
        for result in results:
            result.pop("examples")
    print(json.dumps(results, indent=1))
    return 0
