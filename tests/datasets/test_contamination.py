"""Runs seeded from Spider dev or BIRD dev warn that their data contaminates those splits."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from proto.common import SeedMode
from proto.sample import Blueprint
from proto.seed import SeedEvent
from services.cli.run_request import read_run_seeds
from shared.datasets.contamination import (
    BENCHMARKS_FILE,
    build_fingerprints,
    find_contamination,
    match_seed,
)
from shared.datasets.loader import load_dataset
from shared.export.card import RunFacts, render_body
from shared.ingest.run_seeds import read_any
from shared.pipeline.seed_plan import seed_blueprint
from shared.report.seed_values import render_seed_values, summarise_seed_values

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
BIRD = DATA / "bird_minidev"


@pytest.fixture(scope="module")
def bird_seeds() -> list[SeedEvent]:
    return read_any(BIRD / "mini_dev_sqlite.json")[0]


def test_stored_fingerprints_are_those_of_the_real_files() -> None:
    stored = json.loads(BENCHMARKS_FILE.read_text(encoding="utf-8"))
    assert stored == build_fingerprints(DATA)
    assert len(stored["spider-dev"]["schemas"]) == 20
    assert len(stored["bird-dev"]["schemas"]) == 11


def test_bird_minidev_seeds_are_recognised(bird_seeds: list[SeedEvent]) -> None:
    found = find_contamination(bird_seeds)
    assert [f.benchmark.label for f in found] == ["BIRD dev"]
    assert found[0].seeds == len(bird_seeds)
    assert len(found[0].databases) == 11
    assert "contaminates BIRD dev" in found[0].describe()


def test_spider_dev_seeds_are_recognised_by_schema_and_query() -> None:
    seeds = read_any(DATA / "spider" / "dev.json")[0]
    found = find_contamination(seeds)
    assert [f.benchmark.label for f in found] == ["Spider dev"]
    assert found[0].seeds == len(seeds) and len(found[0].databases) == 20
    # A gold query without its schema (a log line someone copied) is still recognised.
    record = next(iter(load_dataset(DATA / "spider" / "dev.json")))
    bare = SeedEvent(seed_id="x", sql=record.sql.upper() + " ;", source="log")
    matched = match_seed(bare)
    assert matched is not None and matched[0].label == "Spider dev" and matched[1] is None


def test_a_bird_schema_under_another_name_is_recognised() -> None:
    ddl = (BIRD / "schemas" / "debit_card_specializing.sql").read_text()
    seed = SeedEvent(seed_id="y", sql="SELECT 1", schema_ddl=ddl, source="mine.sql")
    matched = match_seed(seed)
    assert matched is not None
    assert matched[0].label == "BIRD dev" and matched[1] == "debit_card_specializing"


def test_gretel_seeds_are_not_a_benchmark() -> None:
    seeds = read_any(DATA / "gretel" / "gretel_sample_1000.jsonl")[0]
    assert find_contamination(seeds[:300]) == []


def test_the_cli_warns_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    read_run_seeds(BIRD / "mini_dev_sqlite.json", "pool1", "infer")
    err = capsys.readouterr().err
    warnings = [line for line in err.splitlines() if line.startswith("contamination:")]
    assert len(warnings) == 1 and "BIRD dev" in warnings[0]


def test_records_report_and_card_carry_the_warning(bird_seeds: list[SeedEvent]) -> None:
    planned = seed_blueprint(Blueprint(domain="x"), bird_seeds[0], SeedMode.EXPAND)
    assert planned.properties["seed_benchmark"] == "BIRD dev"
    from shared.datasets.record import DatasetRecord

    records = [
        DatasetRecord(
            id=str(i),
            sql="SELECT 1",
            extra={
                "properties": planned.model_dump(mode="json"),
                "value_sources": {"customers.Segment": ["schema_comment"]},
                "scrubbed_values": {"email": 2},
            },
        )
        for i in range(3)
    ]
    summary = summarise_seed_values(records)
    assert summary is not None
    assert summary["contaminated"] == {"BIRD dev": 3}
    assert summary["scrubbed"] == {"email": 6}
    html = render_seed_values([{"name": "run", "seed_values": summary}])
    assert "Contamination:" in html and "BIRD dev" in html
    card = render_body([], RunFacts(records=3, benchmarks=Counter({"BIRD dev": 3})))
    assert "## Contamination warning" in card and "**BIRD dev**" in card
