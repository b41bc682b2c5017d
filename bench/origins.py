"""Validity, sense and cost of a run's samples by origin: first generation, expanded (SQL-Factory),
evolved in the run (`--evolve-share`) and each `sqlsynth evolve` round (EvolSQL), side by side.

`python -m bench origins RUN_DIR [--json]`

Reads RUN_DIR/{dataset,rejected,duplicates}.jsonl and, when present, RUN_DIR/evolved/ (what
`sqlsynth run --evolve-rounds N` writes; or pass `--evolved DIR`). Per origin:

- planned: samples that origin was asked for (accepted + duplicates + rejected);
- drafted: those that reached the engines (a plan no draft came out of is a generation failure:
  a blueprint the template cannot fill, an expansion none of whose variants passed the trial
  run; an evolution's trial-run failures never become samples and are counted in
  `summary.json`'s `dropped_before_pipeline` instead);
- validity: accepted / (drafted - duplicates), i.e. of the drafts the near-duplicate search kept,
  the share the three engines, the sense checks and the review passed (a first-generation sample
  may be repaired up to `--max-attempts`; expanded and evolved ones have one attempt);
- first-attempt validity: the same, counting only samples accepted at attempt 1;
- sense: the share of accepted records whose `validation.sense.findings` hold any warning, and
  each check's share; sense errors on accepted records (0 by construction);
- cost: LLM calls, tokens and dollars per accepted record (the records' own `cost`), and the
  complexity (tokens, functions) of the accepted SQL.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared.evolution.outputs import mean_complexity

FIRST = "first generation"
EXPANDED = "expanded"
EVOLVED_IN_RUN = "evolved in the run"


@dataclass
class Tally:
    accepted: list[dict[str, Any]] = field(default_factory=list)
    duplicates: int = 0
    rejected_drafted: int = 0  # refused by the engines, the sense checks or the review
    not_drafted: int = 0  # no draft came out of the plan

    def add_refused(self, kind: str, envelope: Mapping[str, Any]) -> None:
        """A duplicate, or a rejection with or without a draft."""
        if kind == "duplicate":
            self.duplicates += 1
        elif drafted(envelope):
            self.rejected_drafted += 1
        else:
            self.not_drafted += 1


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def origin_of_record(record: Mapping[str, Any]) -> str:
    generator = record.get("generator")
    if generator == "expander":
        return EXPANDED
    if generator == "evolver":
        return EVOLVED_IN_RUN
    return FIRST


def origin_of_envelope(envelope: Mapping[str, Any]) -> str:
    blueprint = envelope.get("blueprint") or {}
    draft = envelope.get("draft") or {}
    if draft.get("engine") == "expander" or blueprint.get("seed_mode") == "pattern":
        return EVOLVED_IN_RUN if blueprint.get("evolution") else EXPANDED
    return FIRST


def drafted(envelope: Mapping[str, Any]) -> bool:
    """The sample reached the validator (a rejection at the generator is a plan no draft came
    out of)."""
    return any(step.get("stage") == "validator" for step in envelope.get("history") or [])


def add_refusals(tallies: dict[str, Tally], lines: Iterable[Mapping[str, Any]], kind: str) -> None:
    for line in lines:
        envelope = line.get("envelope") or {}
        tallies[origin_of_envelope(envelope)].add_refused(kind, envelope)


def tally_run(run_dir: Path) -> dict[str, Tally]:
    tallies: dict[str, Tally] = defaultdict(Tally)
    for record in read_jsonl(run_dir / "dataset.jsonl"):
        tallies[origin_of_record(record)].accepted.append(record)
    add_refusals(tallies, read_jsonl(run_dir / "rejected.jsonl"), "rejected")
    add_refusals(tallies, read_jsonl(run_dir / "duplicates.jsonl"), "duplicate")
    return tallies


def tally_evolved(evolved: Path, base_ids: set[str]) -> dict[str, Tally]:
    """Each `sqlsynth evolve` round: by parent chain from the base (an evolved record's round
    is its parent's plus one)."""
    records = read_jsonl(evolved / "dataset.jsonl")
    parent_of = {str(r["id"]): str(r.get("parent_id") or "") for r in records}
    refused = [(line, "rejected") for line in read_jsonl(evolved / "rejected.jsonl")]
    refused += [(line, "duplicate") for line in read_jsonl(evolved / "duplicates.jsonl")]
    for line, _ in refused:
        envelope = line.get("envelope") or {}
        parent_of.setdefault(
            str(line.get("id") or envelope.get("sample_id")),
            str((envelope.get("blueprint") or {}).get("parent_id") or ""),
        )

    def round_of(record_id: str) -> int:
        depth, seen = 0, set()
        while record_id not in base_ids and record_id in parent_of and record_id not in seen:
            seen.add(record_id)
            depth, record_id = depth + 1, parent_of[record_id]
        return max(depth, 1)

    tallies: dict[str, Tally] = defaultdict(Tally)
    for record in records:
        tallies[f"evolved round {round_of(str(record['id']))}"].accepted.append(record)
    for line, kind in refused:
        envelope = line.get("envelope") or {}
        record_id = str(line.get("id") or envelope.get("sample_id"))
        tallies[f"evolved round {round_of(record_id)}"].add_refused(kind, envelope)
    return tallies


def share(part: float, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def describe(tally: Tally) -> dict[str, Any]:
    accepted = tally.accepted
    checks: Counter[str] = Counter()
    warned = errors = 0
    for record in accepted:
        findings = ((record.get("validation") or {}).get("sense") or {}).get("findings") or []
        kinds = {f["check"] for f in findings if f.get("severity") == "warning"}
        checks.update(kinds)
        warned += bool(kinds)
        errors += any(f.get("severity") == "error" for f in findings)
    judged = len(accepted) + tally.rejected_drafted
    first_attempt = sum(1 for r in accepted if int(r.get("attempts") or 1) == 1)
    cost = [r.get("cost") or {} for r in accepted]
    n = len(accepted)
    complexity = mean_complexity(str(r["sql"]) for r in accepted)
    return {
        "planned": n + tally.duplicates + tally.rejected_drafted + tally.not_drafted,
        "drafted": n + tally.duplicates + tally.rejected_drafted,
        "accepted": n,
        "duplicates": tally.duplicates,
        "rejected_drafted": tally.rejected_drafted,
        "not_drafted": tally.not_drafted,
        "validity": share(n, judged),
        "first_attempt_validity": share(first_attempt, judged),
        "any_sense_warning": share(warned, n),
        "sense_errors": errors,
        "warnings": {k: share(v, n) for k, v in checks.most_common()},
        "llm_calls_per_accepted": share(sum(int(c.get("calls") or 0) for c in cost), n),
        "usd_per_accepted": share(sum((float(c.get("usd") or 0.0) for c in cost), 0.0), n),
        "tokens": complexity.get("tokens"),
        "functions": complexity.get("functions"),
    }


def measure(run_dir: Path, evolved: Path | None = None) -> dict[str, dict[str, Any]]:
    tallies = tally_run(run_dir)
    base_ids = {str(r["id"]) for t in tallies.values() for r in t.accepted}
    evolved = evolved if evolved is not None else run_dir / "evolved"
    if (evolved / "dataset.jsonl").exists():
        tallies.update(sorted(tally_evolved(evolved, base_ids).items()))
    order = [FIRST, EXPANDED, EVOLVED_IN_RUN]
    names = [o for o in order if o in tallies] + sorted(k for k in tallies if k not in order)
    return {name: describe(tallies[name]) for name in names}


def percent(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.1f}%"


def render(table: Mapping[str, Mapping[str, Any]]) -> str:
    head = (
        "| origin | planned | drafted | accepted | duplicates | rejected (drafted) | validity "
        "| first-attempt validity | any sense warning | sense errors | LLM calls / accepted "
        "| tokens | functions |"
    )
    lines = [head, "|---" + "|---:" * 12 + "|"]
    for name, row in table.items():
        lines.append(
            f"| {name} | {row['planned']} | {row['drafted']} | {row['accepted']} "
            f"| {row['duplicates']} | {row['rejected_drafted']} | {percent(row['validity'])} "
            f"| {percent(row['first_attempt_validity'])} | {percent(row['any_sense_warning'])} "
            f"| {row['sense_errors']} | {row['llm_calls_per_accepted']} | {row['tokens']} "
            f"| {row['functions']} |"
        )
    warned = {name: row["warnings"] for name, row in table.items() if row["warnings"]}
    for name, checks in warned.items():
        lines.append(f"\n{name}: " + ", ".join(f"{k} {percent(v)}" for k, v in checks.items()))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench origins", description=__doc__)
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--evolved", type=Path, default=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    table = measure(args.run_dir, args.evolved)
    print(json.dumps(table, indent=1) if args.json else render(table))
    return 0
