"""The HTML report: self-contained, side by side, and drawn by a real browser (Debian's chromium).

The browser test injects a small script into a copy of the report that writes each chart's
rendered size and the number of bars with a non-zero box into the DOM, and reads it back with
`chromium --headless --dump-dom`. It is skipped when /usr/bin/chromium is absent
(scripts/setup.sh installs it).
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from shared.report.build import build_report
from shared.report.load import load_report_dataset
from shared.report.output import write_report_files
from shared.spec import default_spec

CHROMIUM = Path("/usr/bin/chromium")
MEASURE = """<script>
const out = [];
for (const svg of document.querySelectorAll('svg.chart')) {
  const box = svg.getBoundingClientRect();
  const drawn = [...svg.querySelectorAll('rect.bar')].filter((rect) => {
    const b = rect.getBoundingClientRect();
    return b.width > 0 && b.height > 0;
  }).length;
  out.push([svg.dataset.chart, box.width, box.height, drawn]);
}
const pre = document.createElement('pre');
pre.id = 'measured';
pre.textContent = JSON.stringify(out);
document.body.appendChild(pre);
</script>"""


@pytest.fixture
def report_html(run_folder: Path, small_dataset: Path, tmp_path: Path) -> Path:
    datasets = [load_report_dataset(run_folder), load_report_dataset(small_dataset)]
    document = build_report(datasets, spec=default_spec())
    path = tmp_path / "out" / "report.html"
    write_report_files(document, html_path=path)
    return path


def test_self_contained(report_html: Path) -> None:
    text = report_html.read_text()
    assert text.startswith("<!DOCTYPE html>")
    assert "http://" not in text and "https://" not in text
    # Nothing to fetch: no scripts, style sheets, images or fonts from elsewhere.
    for needle in ("<script", "<link", "<img", "<iframe", "src=", "@import", "url("):
        assert needle not in text, needle


def test_side_by_side(report_html: Path) -> None:
    text = report_html.read_text()
    # Both datasets head the columns of the tables and name the series of the charts.
    assert "<th>run</th>" in text and "<th>small</th>" in text
    assert "run · queries over 3–5 tables" in text
    assert "small · queries over 3–5 tables" in text
    charts = re.findall(r'data-chart="([^"]+)"', text)
    for name in ("validity", "shares", "feature_usage", "histogram_tables", "waterfall_run"):
        assert name in charts
    # The sense section puts both datasets' shares per finding side by side.
    sense = text[text.index("id='sense'") :]
    assert "unused_join (error)" in sense and "<th>run</th>" in sense and "<th>small</th>" in sense
    assert any(name.startswith("spec_") for name in charts)
    assert any(name.startswith("distribution_") for name in charts)


def _bars_with_width(svg: str) -> int:
    widths = re.findall(r'<rect class="bar"[^>]*? width="([0-9.]+)" height="([0-9.]+)"', svg)
    return sum(1 for w, h in widths if float(w) > 0 and float(h) > 0)


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
def test_drawn_in_chromium(report_html: Path, tmp_path: Path) -> None:
    text = report_html.read_text()
    probe = tmp_path / "probe.html"
    probe.write_text(text.replace("</body>", MEASURE + "</body>"))
    profile = tmp_path / "profile"
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--window-size=1280,2000",
        "--dump-dom",
        probe.as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    shutil.rmtree(profile, ignore_errors=True)
    found = re.search(r'<pre id="measured">(.*?)</pre>', done.stdout, re.S)
    assert found, f"no measurement in the DOM (exit {done.returncode}): {done.stderr[-2000:]}"
    measured = {name: (w, h, bars) for name, w, h, bars in json.loads(html.unescape(found[1]))}
    sources = dict(re.findall(r'data-chart="([^"]+)".*?>(.*?)</svg>', text, re.S))
    assert set(measured) == set(sources)
    for name, (width, height, bars) in measured.items():
        assert width > 0 and height > 0, name
        # Every bar the report gave a size to was drawn with a non-zero box.
        assert bars == _bars_with_width(sources[name]), name
    for name in ("shares", "histogram_tables", "waterfall_run", "validity"):
        assert measured[name][2] > 0, name
