"""The real query logs and datasets in ../shared/data as seeds."""

from __future__ import annotations

import time
from pathlib import Path

from shared.ingest.seeds import ingest_files


def test_sdss_query_log(data_dir: Path) -> None:
    path = data_dir / "querylogs" / "sdss_runtime.csv"
    started = time.perf_counter()
    result = ingest_files([path], dialect="tsql")
    elapsed = time.perf_counter() - started
    stats = result.stats
    assert result.formats[str(path)] == "dataset"
    assert stats.records == 285 and stats.issue_count == 0
    # Shapes are counted, not repeated: every seed statement is in exactly one shape.
    seeded = stats.records - sum(stats.skipped.values())
    assert sum(seed.count for seed in result.seeds) == seeded
    assert 0 < len(result.seeds) < seeded
    assert len({seed.seed_id for seed in result.seeds}) == len(result.seeds)
    # elapsed and rows columns become duration and rows; Excel's _x000D_ is gone.
    assert all(seed.duration_ms is not None and seed.rows is not None for seed in result.seeds)
    assert not any("_x000D_" in seed.sql for seed in result.seeds)
    print(
        f"SDSS: {stats.records} statements, {len(result.seeds)} shapes, "
        f"{stats.records / elapsed:.0f} statements/s, skipped {stats.skipped}"
    )


def test_pocketdata_query_log(data_dir: Path) -> None:
    path = data_dir / "querylogs" / "googleplus_queries.csv"
    result = ingest_files([path], dialect="sqlite")
    assert result.stats.records == 135 and result.stats.issue_count == 0
    assert sum(seed.count for seed in result.seeds) == 135 - sum(result.stats.skipped.values())
    assert len(result.seeds) < 135
    # `?` placeholders of the app's prepared statements survive as the shape's placeholders.
    assert any("?" in seed.sql for seed in result.seeds)


def test_datasets_keep_questions_and_schemas(data_dir: Path) -> None:
    paths = [
        data_dir / "gretel" / "gretel_sample_1000.jsonl",
        data_dir / "spider" / "dev.json",
        data_dir / "bird_minidev" / "mini_dev_postgresql.json",
    ]
    result = ingest_files(paths, "dataset")
    assert result.stats.records == 1000 + 1034 + 500
    assert result.stats.issue_count == 0
    with_question = [seed for seed in result.seeds if seed.question and seed.schema_ddl]
    assert len(with_question) == len(result.seeds)
    positions = {seed.position.split()[0] for seed in result.seeds if seed.position}
    assert positions == {"line", "item"}
    bird = [seed for seed in result.seeds if "mini_dev_postgresql" in seed.source]
    assert bird and all(seed.dialect is not None and seed.db_id for seed in bird)
