"""HTML sections for the spec comparison (target vs realised) and the run waterfall."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from shared.report.html_parts import format_cell, merge_keys, render_section, render_table
from shared.report.svg import (
    draw_horizontal_bars,
    draw_vertical_bars,
    draw_waterfall,
    format_number,
)


def _fit_line(name: str, fit: dict[str, Any]) -> str:
    chi = fit.get("chi2")
    chi_text = (
        "impossible (a value outside the target)"
        if chi is None and fit.get("n")
        else (f"χ² {format_cell(chi)} (dof {fit.get('dof')})")
    )
    return (
        f"{name}: n {format_cell(fit.get('n'), 'int')} · TVD {format_cell(fit.get('tvd'))} · "
        f"{chi_text} · p {format_cell(fit.get('p_value'))}"
    )


def render_spec_section(datasets: Sequence[dict[str, Any]]) -> str:
    compared = [(str(d["name"]), d["spec"]) for d in datasets if d.get("spec")]
    if not compared:
        return ""
    summary_rows = [
        [
            name,
            str(spec.get("name")),
            format_cell(spec["summary"].get("properties"), "int"),
            format_cell(spec["summary"].get("mean_tvd")),
            f"{format_cell(spec['summary'].get('max_tvd'))} "
            f"({spec['summary'].get('worst_property')})",
            format_cell(spec["summary"].get("conditionals"), "int"),
            format_cell(spec["summary"].get("p_below_0_01"), "int"),
            ", ".join(s["property"] for s in spec.get("skipped", [])) or "—",
        ]
        for name, spec in compared
    ]
    headers = ["dataset", "spec", "properties", "mean TVD", "max TVD", "conditionals"]
    headers += ["tests with p < 0.01", "not comparable"]
    body = [render_table(headers, summary_rows)]
    order = merge_keys([{p["property"]: None for p in spec["properties"]} for _, spec in compared])
    for prop in order:
        fits = [
            (name, next((p for p in spec["properties"] if p["property"] == prop), None))
            for name, spec in compared
        ]
        present = [(name, fit) for name, fit in fits if fit is not None]
        target = present[0][1]["target"]
        categories = merge_keys([target, *(fit["realised"] for _, fit in present)])
        series: list[tuple[str, Sequence[float | None]]] = [
            ("target", [target.get(c, 0.0) for c in categories])
        ]
        lines = []
        for name, fit in present:
            series.append((name, [fit["realised"].get(c, 0.0) for c in categories]))
            lines.append(_fit_line(f"{name} ({fit['source']})", fit))
            if fit.get("planned"):
                lines.append(_fit_line(f"{name} (planned)", fit["planned"]))
        body.append(
            f"<h3>{escape(prop)}</h3><p class='note'>"
            + "<br>".join(escape(line) for line in lines)
            + "</p>"
            + draw_horizontal_bars(f"spec_{prop}", categories, series, first_is_target=True)
        )
    body.append(_conditionals_table(compared))
    intro = (
        "Target: the spec's distribution among the draws its sampler accepts; realised: measured "
        "from the SQL or schema, else the record's label, else the planner's draw. TVD = total "
        "variation distance; p from a chi-square goodness-of-fit test (unreliable when expected "
        "counts are below 5)."
    )
    return render_section("spec", "Spec: target vs realised", "".join(body), intro)


def _conditionals_table(compared: Sequence[tuple[str, dict[str, Any]]]) -> str:
    rows = []
    for name, spec in compared:
        for fit in spec.get("conditionals", []):
            given = ", ".join(f"{k}={v}" for k, v in fit["given"].items())
            shares = "; ".join(
                f"{value} {format_cell(fit['target'].get(value, 0.0), 'share')}"
                f"→{format_cell(fit['realised'].get(value, 0.0), 'share')}"
                for value in merge_keys([fit["target"], fit["realised"]])
            )
            rows.append(
                [
                    name,
                    fit["property"],
                    given,
                    format_cell(fit["n"], "int"),
                    format_cell(fit["tvd"]),
                    format_cell(fit["p_value"]),
                    shares,
                ]
            )
    if not rows:
        return ""
    headers = ["dataset", "property", "given", "n", "TVD", "p", "target → realised"]
    return (
        f"<details><summary>Conditional distributions ({len(rows)})</summary>"
        + render_table(headers, rows)
        + "</details>"
    )


def _box(title: str, body: str) -> str:
    return f"<div><h4>{escape(title)}</h4>{body}</div>"


def render_run_section(datasets: Sequence[dict[str, Any]]) -> str:
    parts = []
    for d in datasets:
        run = d.get("run")
        if not run:
            continue
        name = str(d["name"])
        steps = [(s["step"], int(s["samples"])) for s in run["steps"]]
        outcome_rows = [[k, format_cell(v, "int")] for k, v in run["outcomes"].items()]
        reasons = [[k, format_cell(v, "int")] for k, v in run["rejection_reasons"].items()]
        messages = [[str(n), str(m)] for m, n in run["rejection_messages"]]
        layers = [[k, format_cell(v, "int")] for k, v in run["duplicate_layers"].items()]
        stages = [[k, format_cell(v, "int")] for k, v in sorted(run["stages"].items())]
        cost = run["cost"]
        attempts = run["attempts"]
        cost_rows = [
            ["USD, total", format_cell(cost["usd"])],
            ["USD per accepted sample", format_cell(cost["usd_per_accepted"])],
            ["tokens per accepted sample", format_cell(cost["tokens_per_accepted"])],
            ["LLM calls", format_cell(cost["calls"], "int")],
            ["mean attempts, accepted", format_cell(attempts["mean_accepted"])],
            ["mean attempts, all finished", format_cell(attempts["mean_finished"])],
            ["elapsed s", format_cell(run.get("elapsed_s"))],
            ["accepted per s", format_cell(run.get("accepted_per_s"))],
        ]
        histogram = attempts["histogram"]
        chart = draw_vertical_bars(
            f"attempts_{name}",
            list(histogram),
            [(name, [float(v) for v in histogram.values()])],
            fmt=format_number,
            x_title="attempts per accepted sample",
        )
        parts.append(
            f"<h3>{escape(name)}</h3>"
            + draw_waterfall(f"waterfall_{name}", steps)
            + "<div class='grid'>"
            + _box("Outcomes", render_table(["outcome", "samples"], outcome_rows))
            + _box("Cost and attempts", render_table(["", name], cost_rows))
            + _box("Rejection reasons", render_table(["error class", "samples"], reasons))
            + _box("Duplicates by layer", render_table(["layer", "samples"], layers))
            + _box("Stage events", render_table(["stage.outcome", "events"], stages))
            + _box("Attempts", chart)
            + "</div>"
            + (
                "<details><summary>Most frequent rejection messages</summary>"
                + render_table(["samples", "message"], messages)
                + "</details>"
                if messages
                else ""
            )
        )
    if not parts:
        return ""
    intro = (
        "Samples that reached each stage (planned → drafted → checked → reviewed → accepted); "
        "red: lost at that stage. Cost counts every sample's spend, rejected ones included."
    )
    return render_section(
        "run", "Run: waterfall, rejections, attempts, cost", "".join(parts), intro
    )
