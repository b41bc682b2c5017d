"""The report's growth section: explore/expand figures per mode counted from the records, the
planner's rounds, and one table per evolution round from OUT/evolved/summary.json."""

from __future__ import annotations

import json
from pathlib import Path

from shared.datasets import DatasetRecord
from shared.report.growth import compute_growth
from shared.report.html_growth import render_growth


def record(n: int, mode: str | None, calls: int, usd: float) -> DatasetRecord:
    properties = {"seed_mode": mode, "expansion": "column" if mode else None}
    cost = {"calls": calls, "usd": usd, "input_tokens": 100 * calls, "output_tokens": 10 * calls}
    return DatasetRecord(
        id=f"r-{n}", sql="SELECT 1", extra={"properties": properties, "cost": cost}
    )


def test_modes_rounds_and_evolution_rounds(tmp_path: Path) -> None:
    records = [record(0, None, 2, 0.01), record(1, None, 3, 0.02), record(2, "pattern", 0, 0.0)]
    duplicate = {"envelope": {"blueprint": {"seed_mode": "pattern"}}}
    rounds = [
        {"index": 0, "mode": "explore", "explore": 2, "expand": 0, "accepted": 2, "finished": 2},
        {
            "index": 1,
            "mode": "expand",
            "explore": 1,
            "expand": 2,
            "accepted": 1,
            "finished": 3,
            "duplicate": 1,
            "decision": "pass rate 0.33 < 0.7",
        },
    ]
    summary = {"growth": {"expand_ratio": 0.5, "rounds": rounds}}
    evolved = {
        "parents": {"complexity": {"tokens": 40.0}},
        "operator_share": {"nesting_evolution": 1.0},
        "rounds": [
            {
                "round": 1,
                "parents": 2,
                "drafted": 3,
                "accepted": 1,
                "duplicate": 2,
                "rejected": 0,
                "operators_drafted": {"nesting_evolution": 3},
                "operators_accepted": {"nesting_evolution": 1},
                "operator_share": {"nesting_evolution": 1.0},
                "complexity": {"tokens": 55.0},
            }
        ],
    }
    (tmp_path / "evolved").mkdir()
    (tmp_path / "evolved" / "summary.json").write_text(json.dumps(evolved))
    growth = compute_growth(tmp_path, summary, records, [], [duplicate])
    assert growth is not None
    modes = growth["explore_expand"]["modes"]
    assert modes["explore"]["accepted"] == 2 and modes["explore"]["llm_calls"] == 5
    assert modes["expand"]["accepted"] == 1 and modes["expand"]["llm_calls"] == 0
    assert modes["expand"]["duplicate"] == 1 and modes["expand"]["pass_rate"] == 0.5
    assert modes["expand"]["dataset_share"] == round(1 / 3, 3)
    assert modes["expand"]["kinds"] == {"column": 1}
    html = render_growth([{"name": "run", "growth": growth}])
    assert "pass rate 0.33 &lt; 0.7" in html
    assert "Round 1" in html and "nesting_evolution" in html and "55" in html


def test_no_growth_section_for_a_plain_run(tmp_path: Path) -> None:
    assert compute_growth(tmp_path, {"accepted": 3}, [], [], []) is None
    assert render_growth([{"name": "run", "growth": None}]) == ""


def test_evolution_share_and_cost_by_source(tmp_path: Path) -> None:
    """An evolution worded by a model: the evolved records' share of the whole and their LLM
    cost (question rewriting and scoring, from the evolution's ledger) beside the run's."""
    records = [record(0, None, 2, 0.01), record(1, None, 3, 0.02)]
    evolved = {
        "accepted": 2,
        "feasibility": "model",
        "llm": {"engine": "claude", "model": "claude-x", "calls": 6, "usd": 0.004},
        "rounds": [{"round": 1, "questions_worded": {"realized": 3, "claude": 3}}],
    }
    (tmp_path / "evolved").mkdir()
    (tmp_path / "evolved" / "summary.json").write_text(json.dumps(evolved))
    growth = compute_growth(tmp_path, None, records)
    assert growth is not None
    sources = growth["evolution"]["sources"]
    assert sources["run"]["accepted"] == 2 and sources["run"]["llm_calls"] == 5
    assert sources["run"]["usd_per_accepted"] == 0.015
    assert sources["evolved"] == {
        "accepted": 2,
        "dataset_share": 0.5,
        "llm_calls": 6,
        "usd": 0.004,
        "usd_per_accepted": 0.002,
    }
    assert sources["questions_worded"] == {"realized": 3, "claude": 3}
    html = render_growth([{"name": "run", "growth": growth}])
    assert "share and cost by source" in html and "claude claude-x" in html
    assert "feasibility: model" in html
