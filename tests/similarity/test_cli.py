"""`sqlsynth dedup FILE`: counts, and kept rows written exactly as they were."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from services.cli.main import cli
from shared.pipeline.dedup import normalize_sql


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, ["dedup", *args, "--no-progress"], catch_exceptions=False)


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> list[str]:
    lines = [json.dumps(row) for row in rows]
    path.write_text("\n".join(lines) + "\n")
    return lines


ORDERS = "SELECT name, total FROM orders WHERE total > 100 ORDER BY total DESC"
ROWS: list[dict[str, Any]] = [
    {"id": "q1", "db_id": "shop", "question": "Which orders are large?", "sql": ORDERS, "x": 1},
    # an exact copy of the SQL under another id
    {"id": "q2", "db_id": "shop", "question": "Large orders?", "sql": ORDERS.lower(), "x": 2},
    # the same question, paraphrased, other SQL
    {
        "id": "q3",
        "db_id": "shop",
        "question": "Which orders are large ?!",
        "sql": "SELECT * FROM orders WHERE total > 100",
        "x": 3,
    },
    # the SQL with another literal
    {
        "id": "q4",
        "db_id": "shop",
        "question": "Name the biggest buyers.",
        "sql": ORDERS.replace("100", "500"),
    },
    # a different question and query: kept
    {
        "id": "q5",
        "db_id": "shop",
        "question": "How many customers live in Paris?",
        "sql": "SELECT COUNT(*) FROM customers WHERE city = 'Paris'",
        "nested": {"keep": [1, 2]},
    },
    # the first row again, on another database: kept (schema-aware)
    {"id": "q6", "db_id": "other", "question": "Which orders are large?", "sql": ORDERS},
]


def test_counts_by_layer_and_kept_rows_byte_for_byte(tmp_path: Path) -> None:
    source, out, removed = tmp_path / "in.jsonl", tmp_path / "kept.jsonl", tmp_path / "dups.jsonl"
    lines = write_jsonl(source, ROWS)
    result = invoke(str(source), "--out", str(out), "--duplicates", str(removed), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["rows"] == 6 and report["kept"] == 3 and report["duplicates"] == 3
    assert report["by_layer"]["exact_sql"] == 1
    assert report["by_layer"]["question"] + report["by_layer"]["exact_question"] == 1
    assert report["by_layer"]["sql"] == 1
    assert report["scopes"] == 2
    kept = out.read_text().splitlines()
    assert kept == [lines[0], lines[4], lines[5]]
    explained = [json.loads(line) for line in removed.read_text().splitlines()]
    assert {row["id"] for row in explained} == {"q2", "q3", "q4"}
    assert {row["nearest_id"] for row in explained} == {"q1"}


def test_spider_json_array_keeps_items_whole(data_dir: Path, tmp_path: Path) -> None:
    spider = json.loads((data_dir / "spider" / "dev.json").read_text())
    items = [item for item in spider if item["db_id"] in ("concert_singer", "pets_1")]
    source = tmp_path / "dev.json"
    source.write_text(json.dumps(items))
    out = tmp_path / "kept.jsonl"
    result = invoke(
        str(source),
        "--tables",
        str(data_dir / "spider" / "tables.json"),
        "--out",
        str(out),
        "--json",
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    kept = [json.loads(line) for line in out.read_text().splitlines()]
    assert report["format"] == "spider" and report["kept"] == len(kept)
    assert all(item in items for item in kept)  # every field, Spider's parsed `sql` included
    # Spider writes two questions per query: at least each repeated query is removed once.
    distinct = {(i["db_id"], normalize_sql(i["query"])) for i in items}
    assert len(kept) <= len(distinct) < len(items)
    assert {(i["db_id"], normalize_sql(i["query"])) for i in kept} <= distinct


def test_gretel_rows_are_scoped_by_their_sql_context(data_dir: Path, tmp_path: Path) -> None:
    rows = [
        json.loads(line)
        for line in (data_dir / "gretel" / "gretel_sample_1000.jsonl").read_text().splitlines()[:20]
    ]
    copy = {**rows[0], "row": 99999}  # same context, same question and SQL: a duplicate
    moved = {**rows[0], "row": 99998, "sql_context": rows[1]["sql_context"]}  # another schema
    source = tmp_path / "gretel.jsonl"
    lines = write_jsonl(source, [*rows, copy, moved])
    out = tmp_path / "kept.json"
    result = invoke(str(source), "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["format"] == "gretel" and report["rows"] == 22
    kept_rows = json.loads(out.read_text()) if out.suffix == ".json" else []
    kept_ids = {row["row"] for row in kept_rows}
    assert 99999 not in kept_ids and 99998 in kept_ids
    assert len(lines) - report["kept"] == report["duplicates"]


def test_the_human_summary_names_the_counts(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    write_jsonl(source, ROWS)
    result = invoke(str(source))
    assert result.exit_code == 0
    assert "kept 3" in result.stdout and "removed 3" in result.stdout
