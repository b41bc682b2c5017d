"""Write the report: metrics.json (stable keys) and report.html; and the end-of-run entry point."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from shared.report.build import ReportOptions, build_report
from shared.report.embed import Embedder
from shared.report.html import render_html
from shared.report.load import load_report_dataset
from shared.spec import Spec, SpecError, build_spec

HTML_FILE = "report.html"
METRICS_FILE = "metrics.json"


def make_json_safe(value: Any) -> Any:
    """JSON has no NaN or infinity: they become null (a metric that could not be computed)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): make_json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [make_json_safe(v) for v in value]
    return value


def dump_json(document: dict[str, Any]) -> str:
    return json.dumps(make_json_safe(document), indent=2, ensure_ascii=False, allow_nan=False)


def write_report_files(
    document: dict[str, Any], *, html_path: Path | None = None, json_path: Path | None = None
) -> None:
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(dump_json(document) + "\n", encoding="utf-8")
    if html_path is not None:
        html_path.parent.mkdir(parents=True, exist_ok=True)
        html_path.write_text(render_html(make_json_safe(document)), encoding="utf-8")


def write_run_report(
    out_dir: Path, spec_document: dict[str, Any] | None = None, *, embedder: Embedder | None = None
) -> Path:
    """Write report.html and metrics.json next to a run's dataset.jsonl; return the HTML path.

    `spec_document` is the run's spec (RunRequest.spec; {} means the default spec); None reads
    it from the run's run.json. A spec that no longer parses leaves the spec section out and
    says why in `report.spec_error`, rather than losing the rest of the report.
    """
    dataset = load_report_dataset(out_dir)
    if spec_document is None and dataset.run is not None:
        spec_document = dataset.run.spec_document
    spec: Spec | None = None
    spec_error: str | None = None
    if spec_document is not None:
        try:
            spec = build_spec(spec_document)
        except SpecError as exc:
            spec_error = str(exc)
    options = ReportOptions() if embedder is None else ReportOptions(embedder=embedder)
    document = build_report([dataset], spec=spec, options=options)
    if spec_error:
        document["report"]["spec_error"] = spec_error
    html_path = out_dir / HTML_FILE
    write_report_files(document, html_path=html_path, json_path=out_dir / METRICS_FILE)
    return html_path
