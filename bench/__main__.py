"""`python -m bench NAME [options]`: run one named benchmark (`python -m bench` lists them)."""

from __future__ import annotations

import importlib
import sys

# Benchmark name -> module with `main(argv: list[str]) -> int`. Add yours here.
BENCHMARKS: dict[str, str] = {
    "validation": "bench.validation",
    "pipeline": "bench.pipeline",
    "generation": "bench.generation",
    "llm": "bench.llm",
    "similarity": "bench.similarity",
    "quality": "bench.quality",
    "cpu": "bench.cpu",
    "strings": "bench.strings",
    "growth": "bench.growth",
    "plain-sqlite": "bench.plain_sqlite",
    "drafts": "bench.drafts",
    "expansion": "bench.expansion",
    "profile": "bench.profile",
    "stage-cpu": "bench.stage_cpu",
    "origins": "bench.origins",
    "pg-builds": "bench.pg_builds",
}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help") or args[0] not in BENCHMARKS:
        if args and args[0] not in ("-h", "--help"):
            print(f"unknown benchmark {args[0]!r}", file=sys.stderr)
        print("usage: python -m bench NAME [options]; benchmarks: " + ", ".join(sorted(BENCHMARKS)))
        return 0 if not args or args[0] in ("-h", "--help") else 2
    module = importlib.import_module(BENCHMARKS[args[0]])
    result: int = module.main(args[1:])
    return result


if __name__ == "__main__":
    raise SystemExit(main())
