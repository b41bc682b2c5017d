"""The HTML report: one self-contained file (inline CSS and SVG, no script, no URL).

Every table has one column per dataset and every chart one bar per dataset, so `--compare`
puts seeds and generated data side by side, as DataFramer's tables do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from shared.report.build import list_datasets
from shared.report.distributions import FEATURE_ORDER
from shared.report.html_growth import render_growth
from shared.report.html_parts import (
    build_metric_rows,
    format_cell,
    get_path,
    merge_keys,
    rank_bucket,
    render_section,
    render_table,
)
from shared.report.html_run import render_run_section, render_spec_section
from shared.report.metrics import COMPLEXITY_KEYS
from shared.report.seed_values import render_seed_values
from shared.report.sense_section import render_sense
from shared.report.svg import draw_horizontal_bars, draw_vertical_bars

SHARE_LABELS = (
    ("query_tables_3_to_5", "queries over 3–5 tables"),
    ("schema_tables_3_to_5", "schemas of 3–5 tables"),
    ("non_inner_join", "non-inner joins (LEFT/RIGHT/FULL/CROSS)"),
    ("primary_key", "schema declares a primary key"),
    ("foreign_key", "schema declares a foreign key"),
    ("cte", "CTEs"),
    ("set_operation", "set operations"),
    ("window_function", "window functions"),
    ("subquery", "subqueries"),
    ("join", "any join"),
    ("non_inner_join_among_joined", "non-inner, among joined queries"),
)
DISTRIBUTIONS = (
    ("prompt_style", "Prompt styles"),
    ("domain", "Domains"),
    ("task_type", "Task types"),
    ("complexity", "Complexity levels"),
    ("sql_complexity", "sql_complexity (label)"),
    ("sql_complexity_measured", "sql_complexity (measured from the SQL)"),
    ("statement_type", "Statement types"),
    ("database", "Databases"),
)
MAX_CATEGORIES = 30
CSS = """
body{font-family:sans-serif;margin:24px;color:#222;max-width:1200px}
h1{font-size:22px}h2{font-size:18px;border-bottom:1px solid #ccc;padding-bottom:4px;margin-top:32px}
h3{font-size:15px;margin:18px 0 6px}h4{font-size:13px;margin:12px 0 4px}
table{border-collapse:collapse;margin:8px 0;font-size:12px}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:right;vertical-align:top}
th:first-child,td:first-child{text-align:left}th{background:#f3f3f3}
.grid{display:flex;flex-wrap:wrap;gap:18px}.grid>div{flex:0 0 auto}
.warn{color:#a00;max-width:900px}
.intro,.note{font-size:12px;color:#555;max-width:900px}
code{font-size:11px}details{margin:8px 0}svg.chart{display:block;margin:4px 0 12px}
"""


def render_html(document: Mapping[str, Any]) -> str:
    datasets = list_datasets(document)
    names = [str(d["name"]) for d in datasets]
    meta = document.get("report", {})
    sections = [
        render_overview(datasets, meta),
        render_validity(datasets, names),
        render_sense(datasets, names),
        render_shares(datasets, names),
        render_complexity(datasets, names),
        render_diversity(datasets, names),
        render_distributions(datasets, names),
        render_spec_section(datasets),
        render_run_section(datasets),
        render_growth(datasets),
        render_seed_values(datasets),
    ]
    title = "sqlsynth quality report — " + ", ".join(names)
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
        f"<h1>{escape(title)}</h1>" + "".join(s for s in sections if s) + "</body></html>"
    )


def render_overview(datasets: Sequence[dict[str, Any]], meta: Mapping[str, Any]) -> str:
    rows = [
        [
            str(d["name"]),
            str(d.get("format", "")),
            format_cell(d.get("rows"), "int"),
            format_cell(d.get("malformed"), "int"),
            format_cell(d.get("parsed"), "int"),
            format_cell(d.get("with_schema"), "int"),
            format_cell(d.get("with_question"), "int"),
            str(d.get("path", "")),
        ]
        for d in datasets
    ]
    headers = ["dataset", "format", "rows", "malformed", "SQL parsed", "with schema"]
    headers += ["with question", "path"]
    intro = (
        f"Embedding: <code>{escape(str(meta.get('embedding')))}</code>; hybrid similarity on at "
        f"most {escape(str(meta.get('max_pairs')))} pairs (seed {escape(str(meta.get('seed')))})"
        f"; built in {escape(str(meta.get('elapsed_s')))} s. Definitions: docs/report.md."
    )
    return render_section("datasets", "Datasets", render_table(headers, rows), intro)


def render_validity(datasets: Sequence[dict[str, Any]], names: list[str]) -> str:
    checked = [d.get("validity") for d in datasets]
    if not any(checked):
        return ""
    engines = merge_keys([{e: None for e in (v or {}).get("engines", [])} for v in checked])
    keys = [*engines, "any", "all"]
    rows: list[list[str]] = []
    for key in keys:
        rows.append(
            [f"schema valid · {key}"]
            + [format_cell(get_path(v, ["schema_valid", key]), "share") for v in checked]
        )
    for level in ("syntax", "schema", "full"):
        for key in keys:
            cells = [format_cell(get_path(v, ["levels", level, key]), "share") for v in checked]
            if any(c != "n/a" for c in cells):
                rows.append([f"query valid · {level} · {key}", *cells])
    for key in keys:
        cells = [format_cell(get_path(v, ["non_empty", key]), "share") for v in checked]
        if any(c != "n/a" for c in cells):
            rows.append([f"non-empty result · {key}", *cells])
    rows.append(
        ["results agree", *(format_cell(get_path(v, ["results_agree"]), "share") for v in checked)]
    )
    rows.append(["source", *(str(get_path(v, ["source"]) or "n/a") for v in checked)])
    series = [
        (name, [get_path(v, ["query_valid", key]) for key in keys])
        for name, v in zip(names, checked, strict=True)
    ]
    chart = draw_horizontal_bars(
        "validity", [f"query valid · {k}" for k in keys], series, scale_max=1
    )
    intro = (
        "DataFramer: a schema is valid when its DDL and rows execute, a query when it passes the "
        "level checked; lower levels are derived from the error class (docs/report.md)."
    )
    return render_section(
        "validity", "Validity per engine and level", render_table(["", *names], rows) + chart, intro
    )


def render_shares(datasets: Sequence[dict[str, Any]], names: list[str]) -> str:
    specs = [(label, ["shares", key], "share") for key, label in SHARE_LABELS]
    rows = build_metric_rows(datasets, specs)
    rows.append(
        ["queries measured", *(format_cell(get_path(d, ["shares", "queries"])) for d in datasets)]
    )
    rows.append(
        ["schemas measured", *(format_cell(get_path(d, ["shares", "schemas"])) for d in datasets)]
    )
    series = [
        (name, [get_path(d, ["shares", key]) for key, _ in SHARE_LABELS])
        for name, d in zip(names, datasets, strict=True)
    ]
    chart = draw_horizontal_bars(
        "shares", [label for _, label in SHARE_LABELS], series, scale_max=1
    )
    usage = [
        (name, [get_path(d, ["feature_usage", f]) for f in FEATURE_ORDER])
        for name, d in zip(names, datasets, strict=True)
    ]
    features = draw_horizontal_bars("feature_usage", list(FEATURE_ORDER), usage, scale_max=1)
    body = (
        render_table(["share of samples", *names], rows)
        + chart
        + "<h3>Share of queries with each SQL feature</h3>"
        + features
    )
    return render_section("shares", "DataFramer: what the samples contain", body)


def render_complexity(datasets: Sequence[dict[str, Any]], names: list[str]) -> str:
    keys = [*COMPLEXITY_KEYS, "nesting_depth"]
    rows = build_metric_rows(datasets, [(k, ["complexity", k], "number") for k in keys])
    charts = []
    for key in COMPLEXITY_KEYS:
        histograms = [get_path(d, ["histograms", key]) or {} for d in datasets]
        buckets = sorted(merge_keys(histograms), key=rank_bucket)
        series = []
        for name, histogram in zip(names, histograms, strict=True):
            total = sum(histogram.values())
            series.append((name, [histogram.get(b, 0) / total if total else None for b in buckets]))
        chart = draw_vertical_bars(f"histogram_{key}", buckets, series, x_title=f"{key} per query")
        charts.append(f"<div><h4>{escape(key)}</h4>{chart}</div>")
    body = (
        render_table(["mean per query", *names], rows)
        + "<h3>Histograms (share of queries)</h3><div class='grid'>"
        + "".join(charts)
        + "</div>"
    )
    intro = "EvolSQL's table: mean count per query; nesting counts levels (a flat query is 1)."
    return render_section("complexity", "EvolSQL: complexity per query", body, intro)


def render_diversity(datasets: Sequence[dict[str, Any]], names: list[str]) -> str:
    specs = [
        ("unique SQL patterns", ["patterns", "unique"], "int"),
        ("pattern entropy (bits)", ["patterns", "entropy"], "number"),
        ("max entropy, log2(queries)", ["patterns", "max_entropy"], "number"),
        ("tables covered", ["coverage", "tables"], "int"),
        ("columns covered", ["coverage", "columns"], "int"),
        ("databases", ["coverage", "databases"], "int"),
        ("table coverage of schemas", ["coverage", "table_share"], "share"),
        ("column coverage of schemas", ["coverage", "column_share"], "share"),
        ("question mean pairwise cosine", ["question_mean_cosine"], "number"),
        ("Vendi score, SQL", ["vendi", "sql"], "number"),
        ("Vendi score, questions", ["vendi", "question"], "number"),
        ("hybrid similarity (mean)", ["hybrid_similarity", "mean"], "number"),
        ("· token-sort ratio", ["hybrid_similarity", "token_sort"], "number"),
        ("· AST similarity", ["hybrid_similarity", "ast"], "number"),
        ("· embedding cosine", ["hybrid_similarity", "embedding"], "number"),
        ("pairs measured", ["hybrid_similarity", "pairs"], "int"),
    ]
    body = render_table(["metric", *names], build_metric_rows(datasets, specs))
    for name, d in zip(names, datasets, strict=True):
        top = get_path(d, ["patterns", "top"]) or []
        rows = [[str(count), str(pattern)] for pattern, count in top]
        body += (
            f"<details><summary>Most frequent SQL patterns — {escape(name)}</summary>"
            + render_table(["queries", "pattern"], rows, "patterns")
            + "</details>"
        )
    intro = (
        "Seeds 001 and 003. Lower cosine and hybrid similarity, higher entropy and Vendi score "
        "mean more diverse. Embeddings: the report's embedder (see the overview)."
    )
    return render_section("diversity", "Seeds 001 and 003: coverage and diversity", body, intro)


def render_distributions(datasets: Sequence[dict[str, Any]], names: list[str]) -> str:
    parts: list[str] = []
    for key, title in DISTRIBUTIONS:
        found = [get_path(d, ["distributions", key]) or {} for d in datasets]
        if not any(f.get("n") for f in found):
            continue
        shares = [f.get("shares", {}) for f in found]
        categories = merge_keys(shares)
        note = ""
        if len(categories) > MAX_CATEGORIES:
            categories.sort(key=lambda c: -max(s.get(c, 0.0) for s in shares))
            note = f"<p class='note'>{len(categories) - MAX_CATEGORIES} rarer values not shown.</p>"
            categories = categories[:MAX_CATEGORIES]
        series = [
            (name, [s.get(c, 0.0) if f.get("n") else None for c in categories])
            for name, s, f in zip(names, shares, found, strict=True)
        ]
        counts = ", ".join(
            f"{n}: {format_cell(f.get('n'), 'int')}" for n, f in zip(names, found, strict=True)
        )
        parts.append(
            f"<h3>{escape(title)}</h3><p class='note'>records with a value — {escape(counts)}</p>"
            + draw_horizontal_bars(f"distribution_{key}", categories, series)
            + note
        )
    if not parts:
        return ""
    return render_section("distributions", "Distributions", "".join(parts))
