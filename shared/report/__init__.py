"""The quality report: measure any Text-to-SQL dataset the way the seed documents do.

    from shared.report import build_report, load_report_dataset, write_report_files
    doc = build_report([load_report_dataset("out/run1"), load_report_dataset("gretel.jsonl")])
    write_report_files(doc, html_path=Path("report.html"), json_path=Path("metrics.json"))

`write_run_report(out_dir, spec_document)` is what `sqlsynth run` calls at the end of a run.
Metric definitions and JSON keys: docs/report.md.

Names are imported from their module on first use (PEP 562): services that only count a query's
complexity (`shared.report.metrics`) must not load scipy and matplotlib with the report builder.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from proto.lazy import lazy_attributes

if TYPE_CHECKING:
    from shared.report.build import REPORT_VERSION, ReportOptions, build_report, measure_dataset
    from shared.report.embed import Embedder, HashedTfidfEmbedder, default_embedder
    from shared.report.html import render_html
    from shared.report.load import LoadedDataset, load_report_dataset
    from shared.report.output import dump_json, write_report_files, write_run_report

_HOMES: dict[str, str] = {
    "REPORT_VERSION": "shared.report.build",
    "ReportOptions": "shared.report.build",
    "build_report": "shared.report.build",
    "measure_dataset": "shared.report.build",
    "Embedder": "shared.report.embed",
    "HashedTfidfEmbedder": "shared.report.embed",
    "default_embedder": "shared.report.embed",
    "render_html": "shared.report.html",
    "LoadedDataset": "shared.report.load",
    "load_report_dataset": "shared.report.load",
    "dump_json": "shared.report.output",
    "write_report_files": "shared.report.output",
    "write_run_report": "shared.report.output",
}
__getattr__ = lazy_attributes(__name__, _HOMES)

__all__ = [
    "REPORT_VERSION",
    "Embedder",
    "HashedTfidfEmbedder",
    "LoadedDataset",
    "ReportOptions",
    "build_report",
    "default_embedder",
    "dump_json",
    "load_report_dataset",
    "measure_dataset",
    "render_html",
    "write_report_files",
    "write_run_report",
]
