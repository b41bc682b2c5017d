"""The report on the real Gretel sample and Spider dev: counts, consistency and speed.

Expected counts are read from the files themselves (not from the report), so the test checks
that the report sees every row, every database and every schema.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from proto.common import Engine
from services.cli.main import cli
from shared.report.build import build_report
from shared.report.load import load_report_dataset
from shared.runtime.local import LocalStack

# Seconds, generously: the report takes a few on one loaded core; minutes would be a bug.


def assert_shares_in_range(metrics: dict[str, Any]) -> None:
    for key, value in metrics["shares"].items():
        if key not in ("queries", "schemas"):
            assert value is None or 0.0 <= value <= 1.0, key


@pytest.mark.slow
def test_gretel_and_spider_side_by_side(data_dir: Path) -> None:
    gretel_path = data_dir / "gretel" / "gretel_sample_1000.jsonl"
    spider_path = data_dir / "spider" / "dev.json"
    gretel_lines = [line for line in gretel_path.read_text().splitlines() if line.strip()]
    spider_rows = json.loads(spider_path.read_text())
    document = build_report([load_report_dataset(gretel_path), load_report_dataset(spider_path)])

    gretel, spider = document, document["compare"][0]
    assert gretel["format"] == "gretel" and spider["format"] == "spider"
    assert gretel["rows"] == len(gretel_lines) == 1000
    assert spider["rows"] == len(spider_rows) == 1034
    # docs/features.md: every Gretel and Spider dev query parses.
    assert gretel["parsed"] == gretel["rows"] and spider["parsed"] == spider["rows"]
    assert gretel["with_schema"] == gretel["rows"] and spider["with_schema"] == spider["rows"]
    assert spider["coverage"]["databases"] == len({row["db_id"] for row in spider_rows})
    assert spider["distributions"]["database"]["n"] == 1034
    # Spider's schemas come from tables.json with keys on every database used in dev.
    assert spider["shares"]["primary_key"] == pytest.approx(1.0)
    # Gretel's sample: mostly single-table queries over small schemas.
    assert gretel["complexity"]["tables"] < 2
    for metrics in (gretel, spider):
        assert_shares_in_range(metrics)
        assert metrics["patterns"]["unique"] <= metrics["parsed"]
        assert 0 < metrics["patterns"]["entropy"] <= metrics["patterns"]["max_entropy"]
        assert metrics["coverage"]["tables"] >= 1 and metrics["coverage"]["columns"] >= 1
        assert 0.0 < metrics["coverage"]["table_share"] <= 1.0
        assert 1.0 <= metrics["vendi"]["sql"] <= metrics["parsed"]
        assert -1.0 <= metrics["question_mean_cosine"] <= 1.0
        hybrid = metrics["hybrid_similarity"]
        assert hybrid["pairs"] == 2000 and hybrid["sampled"]
        assert 0.0 <= hybrid["mean"] <= 1.0


@pytest.mark.engines
def test_revalidate_gretel_slice(stack: LocalStack, data_dir: Path, tmp_path: Path) -> None:
    lines = (data_dir / "gretel" / "gretel_sample_1000.jsonl").read_text().splitlines()[:20]
    path = tmp_path / "gretel_20.jsonl"
    path.write_text("\n".join(lines) + "\n")
    args = [
        "report",
        str(path),
        "--revalidate",
        "--json",
        "-",
        "--no-progress",
        "--postgres-dsn",
        str(stack.dsn("postgres")),
        "--mysql-dsn",
        str(stack.dsn("mysql")),
    ]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    validity = json.loads(result.stdout)["validity"]
    assert validity["source"] == "revalidated"
    assert validity["rows"] == 20
    engines = [e.value for e in Engine]
    assert validity["engines"] == engines and validity["unavailable"] == {}
    levels = validity["levels"]
    assert set(levels) == {"syntax", "schema", "full"}
    for key in [*engines, "any", "all"]:
        # Passing a level implies passing the ones below it.
        assert levels["syntax"][key] >= levels["schema"][key] >= levels["full"][key], key
        assert levels["full"][key] == pytest.approx(validity["query_valid"][key])
    # Gretel's contexts were printed for SQLite: most run there.
    assert validity["schema_valid"]["sqlite"] > 0.5
