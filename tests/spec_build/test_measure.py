"""Measuring single seeds: statement types, joins, the coherence projections, complexity."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from proto.common import Engine, SqlFeature
from proto.seed import SeedEvent
from shared.spec.seed_measure import (
    Measured,
    SeedMeasurements,
    SeedRow,
    label_complexity,
    measure_row,
    measure_seeds,
)


def measure(sql: str, **extra: object) -> tuple[Measured | None, SeedMeasurements]:
    seeds = SeedMeasurements(source="test", kind="test")
    row = SeedRow(sql=sql, dialect=Engine.SQLITE, **extra)  # type: ignore[arg-type]
    return measure_row(row, seeds), seeds


@pytest.mark.parametrize(
    ("sql", "task", "level"),
    [
        ("SELECT name FROM ships WHERE tonnage > 100 ORDER BY name", "data retrieval", "easy"),
        ("SELECT COUNT(*) FROM ships", "analytics and reporting", "medium"),
        ("SELECT s.name FROM ships s JOIN ports p ON s.port_id = p.id", "data retrieval", "medium"),
        ("UPDATE ships SET tonnage = 0 WHERE id = 3", "data manipulation", "easy"),
        (
            "DELETE FROM ships WHERE port_id IN (SELECT id FROM ports)",
            "data manipulation",
            "medium",
        ),
        (
            "WITH big AS (SELECT port_id, SUM(tonnage) AS t FROM ships GROUP BY port_id "
            "HAVING SUM(tonnage) > 10) SELECT * FROM big",
            "analytics and reporting",
            "hard",
        ),
    ],
)
def test_task_type_and_complexity(sql: str, task: str, level: str) -> None:
    measured, _ = measure(sql)
    assert measured is not None
    assert (measured.task_type, measured.complexity) == (task, level)


def test_complexity_levels_follow_seed_002() -> None:
    assert label_complexity(set(), 1) == "easy"
    assert label_complexity({SqlFeature.ORDER_BY, SqlFeature.CASE}, 1) == "easy"
    assert label_complexity({SqlFeature.AGGREGATE}, 1) == "medium"
    assert label_complexity(set(), 2) == "medium"
    assert label_complexity({SqlFeature.CTE}, 2) == "medium"
    assert label_complexity({SqlFeature.CTE}, 3) == "hard"
    assert label_complexity({SqlFeature.WINDOW, SqlFeature.IN_SUBQUERY}, 1) == "hard"


def test_ddl_and_bad_sql_are_excluded_and_counted() -> None:
    seeds = SeedMeasurements(source="test", kind="test")
    for sql in ("CREATE TABLE t (id INT)", "ALTER TABLE t ADD c INT", "SELEC broken FROM", "BEGIN"):
        assert measure_row(SeedRow(sql=sql), seeds) is None
    assert sum(seeds.excluded.values()) == 4
    assert any("CREATE" in reason for reason in seeds.excluded)
    assert any("does not parse" in reason for reason in seeds.excluded)


def test_right_and_full_joins_count_as_left() -> None:
    measured, seeds = measure("SELECT * FROM a RIGHT JOIN b ON a.id = b.a_id")
    assert measured is not None and measured.join_kind == "left"
    assert seeds.raw_join_kinds["right"] == 1
    assert any("right join" in reason for reason in seeds.adjustments)


def test_join_rules_are_projected() -> None:
    two_tables, _ = measure("SELECT name FROM a WHERE id IN (SELECT a_id FROM b)")
    assert two_tables is not None
    assert (two_tables.num_tables, two_tables.join_kind) == (2, "inner")
    self_join, _ = measure("SELECT x.id FROM a x JOIN a y ON x.parent = y.id")
    assert self_join is not None
    assert (self_join.num_tables, self_join.join_kind) == (1, "none")
    comma, _ = measure("SELECT * FROM a, b WHERE a.id = b.a_id")
    assert comma is not None and comma.join_kind == "cross"


def test_feature_rules_are_projected() -> None:
    measured, seeds = measure("SELECT name FROM a GROUP BY name HAVING name > 'x' LIMIT 3")
    assert measured is not None
    assert not measured.features & {SqlFeature.GROUP_BY, SqlFeature.HAVING, SqlFeature.LIMIT}
    assert measured.task_type == "data retrieval"
    assert len(seeds.adjustments) == 3


def test_schema_question_and_domain_are_measured() -> None:
    ddl = (
        "CREATE TABLE ports (id INTEGER PRIMARY KEY, name TEXT);"
        "CREATE TABLE ships (id INTEGER PRIMARY KEY, name TEXT,"
        " port_id INTEGER REFERENCES ports(id))"
    )
    measured, _ = measure(
        "SELECT s.name FROM ships s JOIN ports p ON p.id = s.port_id",
        schema_ddl=ddl,
        question="Can you list the ships with their ports?",
        domain="maritime logistics",
    )
    assert measured is not None
    assert sorted(measured.columns) == [2, 3]
    assert measured.primary_keys is True and measured.foreign_keys is True
    assert measured.prompt_style == "conversational"
    assert measured.domain == "maritime logistics"


def test_seeds_file_from_ingest_is_read_with_counts(tmp_path: Path) -> None:
    path = tmp_path / "seeds.jsonl"
    lines = [
        SeedEvent(seed_id="a", sql="SELECT id FROM t WHERE x = ?", source="log", count=5),
        SeedEvent(seed_id="b", sql="SELECT COUNT(*) FROM t", source="log", count=1),
        SeedEvent(seed_id="c", sql="CREATE TABLE u (id INT)", source="log", count=2),
    ]
    path.write_text("".join(s.model_dump_json() + "\n" for s in lines) + "not json\n")
    plain = measure_seeds(path)
    assert plain.kind == "seeds"
    assert plain.total == 2 and plain.unreadable == 1
    weighted = measure_seeds(path, weight_by_count=True)
    assert weighted.total == 6
    assert sum(weighted.excluded.values()) == 2


def test_dataset_domain_field_is_read(tmp_path: Path) -> None:
    path = tmp_path / "data.jsonl"
    rows = [{"sql": "SELECT 1 FROM t", "question": "q?", "domain": "music"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    seeds = measure_seeds(path)
    assert [row.domain for row in seeds.rows] == ["music"]
