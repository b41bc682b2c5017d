"""The report's growth section: explore/expand per round and per mode (SQL-Factory), and one
table per evolution round (EvolSQL: operators applied, accepted share per operator,
complexity of the round beside its parents', as the paper's Table 3)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from shared.report.html_parts import format_cell, render_section, render_table
from shared.report.metrics import COMPLEXITY_KEYS


def _box(title: str, body: str) -> str:
    return f"<div><h4>{escape(title)}</h4>{body}</div>"


def _rounds_table(rounds: Sequence[Mapping[str, Any]]) -> str:
    rows = []
    for r in rounds:
        finished = int(r.get("finished") or 0)
        varied = int(r.get("expand") or 0) + int(r.get("evolve") or 0)
        planned = int(r.get("explore") or 0) + varied
        rows.append(
            [
                format_cell(r.get("index"), "int"),
                str(r.get("mode")),
                format_cell(r.get("explore"), "int"),
                format_cell(r.get("expand"), "int"),
                format_cell(r.get("evolve", 0), "int"),
                format_cell(varied / planned if planned else None, "share"),
                format_cell(r.get("accepted"), "int"),
                format_cell(r.get("accepted_expand"), "int"),
                format_cell(r.get("accepted_evolve", 0), "int"),
                format_cell(r.get("duplicate"), "int"),
                format_cell(r.get("accepted", 0) / finished if finished else None, "share"),
                format_cell(r.get("redundant"), "int"),
                str(r.get("decision") or ""),
            ]
        )
    headers = [
        "round",
        "mode",
        "explore",
        "expand",
        "evolve",
        "expand+evolve share",
        "accepted",
        "accepted (expand)",
        "accepted (evolve)",
        "duplicate",
        "pass rate",
        "redundant",
        "next round because",
    ]
    return render_table(headers, rows)


def _modes_table(modes: Mapping[str, Mapping[str, Any]]) -> str:
    keys = [
        ("accepted", "int"),
        ("dataset_share", "share"),
        ("rejected", "int"),
        ("duplicate", "int"),
        ("pass_rate", "share"),
        ("llm_calls", "int"),
        ("tokens", "int"),
        ("usd", "number"),
        ("usd_per_accepted", "number"),
    ]
    rows = [[key, *(format_cell(modes[m].get(key), kind) for m in modes)] for key, kind in keys]
    kinds = modes.get("expand", {}).get("kinds") or {}
    rows += [[f"expanded by {k}", "", format_cell(n, "int"), ""] for k, n in sorted(kinds.items())]
    return render_table(["", *modes], rows)


def _evolution_round(r: Mapping[str, Any], parents: Mapping[str, Any] | None) -> str:
    drafted = r.get("operators_drafted") or {}
    accepted = r.get("operators_accepted") or {}
    share = r.get("operator_share") or {}
    ops = [
        [
            op,
            format_cell(drafted.get(op), "int"),
            format_cell(accepted.get(op, 0), "int"),
            format_cell(accepted.get(op, 0) / drafted[op] if drafted.get(op) else None, "share"),
            format_cell(share.get(op), "share"),
        ]
        for op in sorted(set(drafted) | set(accepted))
    ]
    complexity = r.get("complexity") or {}
    base = (parents or {}).get("complexity") or {}
    rows = [[k, format_cell(base.get(k)), format_cell(complexity.get(k))] for k in COMPLEXITY_KEYS]
    head = (
        f"{r.get('parents')} parents, {r.get('drafted')} drafted, {r.get('accepted')} accepted, "
        f"{r.get('duplicate')} duplicate, {r.get('rejected')} rejected"
    )
    return (
        f"<h4>Round {escape(str(r.get('round')))}</h4><p class='note'>{escape(head)}</p>"
        + "<div class='grid'>"
        + _box(
            "Operators",
            render_table(
                [
                    "operator",
                    "drafted",
                    "accepted",
                    "accepted share of drafted",
                    "share of accepted",
                ],
                ops,
            ),
        )
        + _box(
            "Complexity (mean per record)",
            render_table(["", "first generation", f"round {r.get('round')}"], rows),
        )
        + "</div>"
    )


def _sources_table(sources: Mapping[str, Any] | None) -> str:
    """The run's records beside the evolved ones: share of the whole and cost of each."""
    if not sources:
        return ""
    keys = [
        ("accepted", "int"),
        ("dataset_share", "share"),
        ("llm_calls", "int"),
        ("usd", "number"),
        ("usd_per_accepted", "number"),
    ]
    columns = [("run", "run"), ("evolved", "evolved")]
    rows = [
        [key, *(format_cell((sources.get(c) or {}).get(key), kind) for c, _ in columns)]
        for key, kind in keys
    ]
    counts = sources.get("questions_worded") or {}
    worded = ", ".join(f"{k} {n}" for k, n in sorted(counts.items()))
    note = (
        f"evolution LLM: {sources.get('llm') or 'none (offline)'}; feasibility: "
        f"{sources.get('feasibility')}; evolved questions worded: {worded or '-'}"
    )
    return (
        "<h4>Evolution: share and cost by source</h4>"
        + render_table(["", *(label for _, label in columns)], rows)
        + f"<p class='note'>{escape(note)}</p>"
    )


def render_growth(datasets: Sequence[dict[str, Any]]) -> str:
    parts = []
    for d in datasets:
        growth = d.get("growth")
        if not growth:
            continue
        parts.append(f"<h3>{escape(str(d['name']))}</h3>")
        loop = growth.get("explore_expand")
        if loop:
            parts.append(
                f"<p class='note'>expand ratio {format_cell(loop.get('expand_ratio'))}</p>"
                + "<div class='grid'>"
                + _box("Explore / expand by mode", _modes_table(loop["modes"]))
                + "</div>"
                + _box("Rounds", _rounds_table(loop.get("rounds", [])))
            )
        evolution = growth.get("evolution")
        if evolution:
            shares = evolution.get("operator_share") or {}
            rows = [[op, format_cell(v, "share")] for op, v in shares.items()]
            parts.append(
                _sources_table(evolution.get("sources"))
                + "<h4>Evolution: share of each operator over all rounds</h4>"
                + render_table(["operator", "share of accepted"], rows)
                + "".join(
                    _evolution_round(r, evolution.get("parents")) for r in evolution["rounds"]
                )
            )
    if not parts:
        return ""
    intro = (
        "SQL-Factory's explore/expand loop (docs/evolution.md): per round, what the planner gave "
        "to exploration (new structures) and expansion (accepted patterns on other tables, "
        "columns and values, no model call), what the sink accepted, and why the next round "
        "took its mode. EvolSQL's evolution rounds (OUT/evolved): operators applied and "
        "accepted, and the complexity of each round beside the first generation (Table 3)."
    )
    return render_section("growth", "Growth: explore/expand and evolution", "".join(parts), intro)
