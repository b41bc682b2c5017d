"""The quality report: measure any Text-to-SQL dataset the way the seed documents do.

    from shared.report import build_report, load_report_dataset, write_report_files
    doc = build_report([load_report_dataset("out/run1"), load_report_dataset("gretel.jsonl")])
    write_report_files(doc, html_path=Path("report.html"), json_path=Path("metrics.json"))

`write_run_report(out_dir, spec_document)` is what `sqlsynth run` calls at the end of a run.
Metric definitions and JSON keys: docs/report.md.
"""

from shared.report.build import REPORT_VERSION, ReportOptions, build_report, measure_dataset
from shared.report.embed import Embedder, HashedTfidfEmbedder, default_embedder
from shared.report.html import render_html
from shared.report.load import LoadedDataset, load_report_dataset
from shared.report.output import dump_json, write_report_files, write_run_report

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
