"""Loaders on the real shared data files and on small temp files with garbage in them."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from proto.common import Engine
from shared.datasets import DatasetError, DatasetFormat, load_dataset
from shared.datasets.spider import render_spider_ddl


def test_gretel_sample_maps_every_row(data_dir: Path) -> None:
    path = data_dir / "gretel" / "gretel_sample_1000.jsonl"
    reader = load_dataset(path)
    records = list(reader)
    raw = [json.loads(line) for line in path.read_text().splitlines()]
    assert reader.format is DatasetFormat.GRETEL
    assert len(records) == len(raw) == 1000
    assert reader.errors == []
    for record, row in zip(records, raw, strict=True):
        assert record.id == str(row["row"])
        assert record.question == row["sql_prompt"]
        assert record.sql == row["sql"]
        assert record.schema_ddl == row["sql_context"]
        assert record.sql_dialect is Engine.SQLITE
        assert record.schema_dialect is Engine.SQLITE
        assert record.extra["gretel_split"] == row["gretel_split"]
        assert "sql_prompt" not in record.extra


@pytest.mark.parametrize(
    ("name", "engine"),
    [("sqlite", Engine.SQLITE), ("mysql", Engine.MYSQL), ("postgresql", Engine.POSTGRES)],
)
def test_bird_minidev_takes_dialect_from_file_name(
    data_dir: Path, name: str, engine: Engine
) -> None:
    path = data_dir / "bird_minidev" / f"mini_dev_{name}.json"
    reader = load_dataset(path)
    records = list(reader)
    raw = json.loads(path.read_text())
    assert reader.format is DatasetFormat.BIRD
    assert len(records) == len(raw) == 500
    assert reader.errors == []
    schemas = data_dir / "bird_minidev" / "schemas"
    for record, item in zip(records, raw, strict=True):
        assert record.sql == item["SQL"]
        assert record.id == str(item["question_id"])
        assert record.db_id == item["db_id"]
        assert record.sql_dialect is engine
        assert record.schema_dialect is Engine.SQLITE
        # The schema file verbatim, plus the metadata's sample values as comment lines.
        added = ("-- Sample values (dev_metadata.json): ", "-- Value range (dev_metadata.json): ")
        own = [
            line for line in (record.schema_ddl or "").splitlines() if not line.startswith(added)
        ]
        assert own == (schemas / f"{item['db_id']}.sql").read_text().splitlines()
        assert record.extra["difficulty"] == item["difficulty"]


def test_bird_metadata_sample_values_reach_the_seed_fixture_as_schema_examples(
    data_dir: Path,
) -> None:
    from proto.sample import ValueSource
    from shared.generation.template.seed.from_ddl import domain_from_ddl

    path = data_dir / "bird_minidev" / "mini_dev_sqlite.json"
    record = next(r for r in load_dataset(path) if r.db_id == "card_games")
    ddl = record.schema_ddl or ""
    assert "-- Sample values (dev_metadata.json): 'common', 'rare'" in ddl
    domain = domain_from_ddl(ddl, name="seed-test-meta-cards")
    rarity = domain.table("cards").column("rarity")
    assert {"common", "rare", "uncommon", "mythic"} <= set(rarity.values)
    assert rarity.fake is None  # real values enough: no Faker word padding
    assert domain.seed is not None
    assert dict(domain.seed.value_sources)["cards.rarity"] == (ValueSource.SCHEMA_COMMENT,)
    # A copy of the schemas without the metadata file still loads, the schema file alone.
    from shared.datasets.bird_metadata import read_bird_metadata

    assert read_bird_metadata(data_dir / "no-such-dir" / "dev_metadata.json") == ({}, {})
    # Numeric columns take BIRD's real min/max as their range (longitudes, not 1-1000).
    f1 = next(r for r in load_dataset(path) if r.db_id == "formula_1")
    lng = (
        domain_from_ddl(f1.schema_ddl or "", name="seed-test-meta-f1")
        .table("circuits")
        .column("lng")
    )
    assert lng.low is not None and lng.high is not None
    assert 0 < lng.low < lng.high <= 180  # the span of BIRD's typical longitudes


def test_bird_dialect_flag_overrides_file_name(data_dir: Path) -> None:
    path = data_dir / "bird_minidev" / "mini_dev_mysql.json"
    first = next(load_dataset(path, dialect="postgres"))
    assert first.sql_dialect is Engine.POSTGRES


def test_bird_missing_schema_is_an_error_not_a_drop(tmp_path: Path) -> None:
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "shop.sql").write_text("CREATE TABLE t (a integer);")
    items = [
        {"question_id": 1, "db_id": "shop", "question": "q", "SQL": "SELECT a FROM t"},
        {"question_id": 2, "db_id": "nowhere", "question": "q", "SQL": "SELECT 1"},
        {"question_id": 3, "db_id": "shop", "question": "q", "SQL": ""},
    ]
    path = tmp_path / "mini_dev_sqlite.json"
    path.write_text(json.dumps(items))
    reader = load_dataset(path)
    assert [r.id for r in reader] == ["1"]
    assert [(e.position, "nowhere" in e.message) for e in reader.errors] == [
        ("item 2", True),
        ("item 3", False),
    ]


def test_spider_dev_builds_schema_from_tables_json(data_dir: Path) -> None:
    path = data_dir / "spider" / "dev.json"
    reader = load_dataset(path)
    records = list(reader)
    raw = json.loads(path.read_text())
    assert reader.format is DatasetFormat.SPIDER
    assert len(records) == len(raw) == 1034
    assert reader.errors == []
    for record, item in zip(records, raw, strict=True):
        assert record.sql == item["query"]
        assert record.question == item["question"]
        assert record.db_id == item["db_id"]
        assert record.schema_ddl and "CREATE TABLE" in record.schema_ddl
        assert "query_toks" not in record.extra


def test_every_spider_schema_creates_in_sqlite_with_foreign_keys(data_dir: Path) -> None:
    tables = json.loads((data_dir / "spider" / "tables.json").read_text())
    with_fk = 0
    for entry in tables:
        ddl = render_spider_ddl(entry)
        with_fk += "FOREIGN KEY" in ddl
        connection = sqlite3.connect(":memory:")
        connection.execute("PRAGMA foreign_keys = ON")
        connection.executescript(ddl)
        created = connection.execute("SELECT count(*) FROM sqlite_master WHERE type='table'")
        own = [n for n in entry["table_names_original"] if not n.lower().startswith("sqlite_")]
        assert created.fetchone()[0] == len(own), entry["db_id"]
        # Every kept FK must point at a declared table (checked by SQLite on an empty schema).
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
        connection.close()
    assert with_fk > 0


def test_spider_foreign_key_needs_a_primary_key_target() -> None:
    entry = {
        "db_id": "x",
        "table_names_original": ["child", "parent"],
        "column_names_original": [[-1, "*"], [0, "id"], [0, "pid"], [0, "name"], [1, "pid"]],
        "column_types": ["text", "number", "number", "text", "number"],
        "primary_keys": [1, 4],
        "foreign_keys": [[2, 4], [3, 4]],
    }
    ddl = render_spider_ddl(entry)
    assert ddl.index("CREATE TABLE parent") < ddl.index("CREATE TABLE child")
    assert ddl.count("FOREIGN KEY") == 1  # name (text) -> pid (number) is dropped
    assert "FOREIGN KEY (pid) REFERENCES parent (pid)" in ddl


def test_malformed_jsonl_lines_are_reported_with_line_numbers(tmp_path: Path) -> None:
    good = {
        "row": 7,
        "sql_prompt": "How many?",
        "sql": "SELECT 1",
        "sql_context": "CREATE TABLE t (a int);",
    }
    lines = [
        json.dumps(good),
        "{not json at all",
        "",
        json.dumps([1, 2, 3]),
        json.dumps({**good, "sql": ""}),
        json.dumps({"sql_prompt": "no sql here", "sql_context": ""}),
        "\x00\x01 garbage",
        json.dumps({**good, "row": 8}),
    ]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n")
    reader = load_dataset(path)
    records = list(reader)
    assert reader.format is DatasetFormat.GRETEL
    assert [r.id for r in records] == ["7", "8"]
    assert [r.line for r in records] == [1, 8]
    assert [e.line for e in reader.errors] == [2, 4, 5, 6, 7]
    assert all(e.message for e in reader.errors)
    assert reader.errors[0].raw.startswith("{not json")


def test_generic_csv_detects_sql_column_and_delimiter(data_dir: Path) -> None:
    reader = load_dataset(data_dir / "querylogs" / "googleplus_queries.csv")
    records = list(reader)
    assert reader.format is DatasetFormat.CSV
    assert len(records) == 135 and reader.errors == []
    assert records[0].sql.startswith("SELECT")
    assert records[0].id == "121"
    assert "label" in records[0].extra


def test_sdss_csv_keeps_multiline_statements(data_dir: Path) -> None:
    reader = load_dataset(data_dir / "querylogs" / "sdss_runtime.csv", dialect="sqlite")
    records = list(reader)
    assert len(records) + len(reader.errors) == 285
    assert reader.errors == []
    assert any("\n" in r.sql for r in records)
    assert all(r.sql_dialect is Engine.SQLITE for r in records)
    # The header is line 1, so the first row is line 2; later rows start after multi-line ones.
    assert records[0].line == 2
    assert records[-1].line is not None and records[-1].line > 286


def test_field_map_picks_columns_the_guesses_would_not(tmp_path: Path) -> None:
    path = tmp_path / "custom.csv"
    path.write_text("nl_text;the_query;dialect\nHow many?;SELECT 1;postgresql\nbad;;mysql\n")
    reader = load_dataset(path, field_map={"sql": "the_query", "question": "nl_text"})
    records = list(reader)
    assert [(r.question, r.sql, r.sql_dialect) for r in records] == [
        ("How many?", "SELECT 1", Engine.POSTGRES)
    ]
    assert [(e.line, e.message) for e in reader.errors] == [(3, "empty SQL")]
    with pytest.raises(ValueError, match="unknown field"):
        load_dataset(path, field_map={"answer": "x"})


def test_csv_row_with_wrong_field_count_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_text('query,label\n"SELECT 1",a\n"SELECT 2",b,extra\nSELECT 3,c\n')
    reader = load_dataset(path)
    assert [r.sql for r in reader] == ["SELECT 1", "SELECT 3"]
    assert [e.line for e in reader.errors] == [3]


def test_own_output_reads_per_dialect_sql_and_rows(tmp_path: Path) -> None:
    row = {
        "id": "s-1",
        "sql_prompt": "Count them",
        "sql": "SELECT COUNT(*) FROM t",
        "sql_dialect": "sqlite",
        "sql_context": "CREATE TABLE t (a INTEGER);",
        "sql_by_dialect": {"postgres": "SELECT COUNT(*) FROM t", "mysql": "SELECT COUNT(*) FROM t"},
        "rows": [{"table": "t", "columns": ["a"], "values": [[1], [2]]}],
        "domain": "retail",
    }
    bad = {**row, "id": "s-2", "sql_by_dialect": {"oracle": "SELECT 1"}}
    path = tmp_path / "out.jsonl"
    path.write_text(json.dumps(row) + "\n" + json.dumps(bad) + "\n")
    reader = load_dataset(path)
    records = list(reader)
    assert reader.format is DatasetFormat.SQLSYNTH
    assert len(records) == 1
    record = records[0]
    assert record.id == "s-1"
    assert set(record.sql_by_dialect) == {Engine.POSTGRES, Engine.MYSQL}
    assert record.rows[0].values == [[1], [2]]
    assert record.schema_dialect is Engine.SQLITE
    assert record.extra == {"domain": "retail"}
    assert reader.errors[0].line == 2 and "oracle" in reader.errors[0].message


def test_whole_file_problems_raise_dataset_error(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="no such file"):
        load_dataset(tmp_path / "missing.jsonl")
    broken = tmp_path / "broken.json"
    broken.write_text("[{")
    with pytest.raises(DatasetError, match="not a JSON document"):
        load_dataset(broken)
    with pytest.raises(DatasetError, match="unknown format"):
        load_dataset(broken, format="parquet")
    lone = tmp_path / "dev.json"
    lone.write_text(json.dumps([{"query": "SELECT 1", "db_id": "x", "question": "q"}]))
    with pytest.raises(DatasetError, match=r"tables\.json"):
        list(load_dataset(lone))
