"""How a run grew: SQL-Factory's explore/expand split (per round, per mode, at what cost) and
EvolSQL's evolution rounds (operators applied, accepted share per operator, complexity per
round beside the parents'), read from the run folder's summary, records and evolved/ folder."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from shared.datasets import DatasetRecord

EVOLVED_SUMMARY = Path("evolved") / "summary.json"
PATTERN = "pattern"  # proto.common.SeedMode.PATTERN as the records spell it
EVOLVE = "evolve"  # SeedMode.EVOLVE: the planner's evolver option


def _mode_of(properties: Any) -> str:
    seed_mode = properties.get("seed_mode") if isinstance(properties, Mapping) else None
    return {PATTERN: "expand", EVOLVE: "evolve"}.get(str(seed_mode), "explore")


def _envelope_mode(row: Mapping[str, Any]) -> str:
    envelope = row.get("envelope")
    blueprint = envelope.get("blueprint") if isinstance(envelope, Mapping) else None
    return _mode_of(blueprint)


def _mode_figures(
    records: Sequence[DatasetRecord],
    rejected: Sequence[Mapping[str, Any]],
    duplicates: Sequence[Mapping[str, Any]],
) -> dict[str, dict[str, Any]]:
    figures: dict[str, dict[str, Any]] = {}
    total = len(records)
    for mode in ("explore", "expand", "evolve"):
        mine = [r for r in records if _mode_of(r.extra.get("properties")) == mode]
        costs = [r.extra.get("cost") or {} for r in mine]
        usd = sum(float(c.get("usd") or 0.0) for c in costs)
        calls = sum(int(c.get("calls") or 0) for c in costs)
        tokens = sum(
            int(c.get("input_tokens") or 0) + int(c.get("output_tokens") or 0) for c in costs
        )
        kinds: Counter[str] = Counter(
            str((r.extra.get("properties") or {}).get("expansion")) for r in mine
        )
        failed = sum(1 for row in rejected if _envelope_mode(row) == mode)
        duplicate = sum(1 for row in duplicates if _envelope_mode(row) == mode)
        finished = len(mine) + failed + duplicate
        figures[mode] = {
            "accepted": len(mine),
            "dataset_share": round(len(mine) / total, 3) if total else None,
            "rejected": failed,
            "duplicate": duplicate,
            "pass_rate": round(len(mine) / finished, 3) if finished else None,
            "usd": round(usd, 6),
            "llm_calls": calls,
            "tokens": tokens,
            "usd_per_accepted": round(usd / len(mine), 6) if mine else None,
            "kinds": dict(kinds) if mode == "expand" else {},
        }
    return figures


def compute_growth(
    folder: Path | None,
    summary: Mapping[str, Any] | None,
    records: Sequence[DatasetRecord],
    rejected: Sequence[Mapping[str, Any]] = (),
    duplicates: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any] | None:
    """None when the run neither explored-and-expanded nor evolved."""
    growth = summary.get("growth") if summary else None
    evolved = _read(folder / EVOLVED_SUMMARY) if folder is not None else None
    if not growth and not evolved:
        return None
    out: dict[str, Any] = {"explore_expand": None, "evolution": None}
    if growth:
        out["explore_expand"] = {
            "expand_ratio": growth.get("expand_ratio"),
            "rounds": growth.get("rounds", []),
            "modes": _mode_figures(records, rejected, duplicates),
        }
    if evolved:
        out["evolution"] = {
            "parents": evolved.get("parents"),
            "rounds": evolved.get("rounds", []),
            "operator_share": evolved.get("operator_share", {}),
            "sources": _sources(records, evolved),
        }
    return out


def _cost_figures(accepted: int, usd: float, calls: int, total: int) -> dict[str, Any]:
    return {
        "accepted": accepted,
        "dataset_share": round(accepted / total, 3) if total else None,
        "llm_calls": calls,
        "usd": round(usd, 6),
        "usd_per_accepted": round(usd / accepted, 6) if accepted else None,
    }


def _sources(records: Sequence[DatasetRecord], evolved: Mapping[str, Any]) -> dict[str, Any]:
    """The run's own records beside the evolved ones: how much of the whole each is and what
    it cost (the evolution's LLM calls: question rewriting and operator scoring, from its
    ledger), and who worded the evolved questions."""
    costs = [r.extra.get("cost") or {} for r in records]
    usd = sum(float(c.get("usd") or 0.0) for c in costs)
    calls = sum(int(c.get("calls") or 0) for c in costs)
    llm = evolved.get("llm") or {}
    accepted = int(evolved.get("accepted") or 0)
    total = len(records) + accepted
    worded: Counter[str] = Counter()
    for r in evolved.get("rounds", []):
        worded.update(r.get("questions_worded") or {})
    return {
        "run": _cost_figures(len(records), usd, calls, total),
        "evolved": _cost_figures(
            accepted, float(llm.get("usd") or 0.0), int(llm.get("calls") or 0), total
        ),
        "llm": f"{llm.get('engine')} {llm.get('model')}" if llm else None,
        "feasibility": evolved.get("feasibility", "programmatic"),
        "questions_worded": dict(worded),
    }


def _read(path: Path) -> dict[str, Any] | None:
    try:
        loaded = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return loaded if isinstance(loaded, dict) else None
