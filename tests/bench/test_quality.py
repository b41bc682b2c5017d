"""`python -m bench quality` on a run folder: the figures issue 13's done-when names."""

from __future__ import annotations

import json
from pathlib import Path

from bench.quality import measure, render_table
from bench.quality_items import run_source

CONTEXT = (
    "CREATE TABLE a (id INTEGER PRIMARY KEY, name TEXT);\n"
    "CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER, x INTEGER);\n"
    "CREATE TABLE c (id INTEGER PRIMARY KEY, b_id INTEGER, y INTEGER);\n"
    "INSERT INTO a VALUES (1, 'p'), (2, 'q'), (3, 'r');\n"
    "INSERT INTO b VALUES (1, 1, 5), (2, 2, 6);\n"
    "INSERT INTO c VALUES (1, 1, 7);"
)
THREE = "SELECT a.name FROM a LEFT JOIN b ON b.a_id = a.id JOIN c ON c.b_id = b.id"
ONE = "SELECT name FROM a"
ENGINES = ("sqlite", "postgres", "mysql")


def _record(question: str, sql: str, style: str, failed: str = "") -> dict[str, object]:
    checks = [{"engine": e, "ok": e != failed} for e in ENGINES]
    return {
        "sql_prompt": question,
        "sql": sql,
        "sql_context": CONTEXT,
        "prompt_style": style,
        "generator": "template",
        "validation": {"checks": checks},
    }


def test_a_run_folder_gives_every_done_when_figure(tmp_path: Path) -> None:
    records = [
        _record("List the names of all a rows.", ONE, "imperative"),
        _record("Which names have a c row?", THREE, "direct_question"),
        _record("What are the names?", ONE, "imperative", failed="mysql"),
    ]
    (tmp_path / "dataset.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n")
    (tmp_path / "summary.json").write_text(json.dumps({"planned": 6, "accepted": 3}))
    figures = measure(run_source("run", tmp_path))
    assert figures.planned_per_accepted == 2.0
    assert figures.valid_all_engines == round(2 / 3, 3)  # one record failed on MySQL
    assert figures.tables_3_to_5 == round(1 / 3, 3)
    assert figures.non_inner_join == round(1 / 3, 3) and figures.non_inner_among_joined == 1.0
    # The third question is planned imperative but reads as a direct question.
    assert figures.style_mix == {"direct_question": 0.667, "imperative": 0.333}
    assert figures.planned_is_classified == round(2 / 3, 3)
    words = [len(str(r["sql_prompt"]).split()) for r in records]
    assert figures.planned_words == {
        "direct_question": words[1],
        "imperative": (words[0] + words[2]) / 2,
    }
    assert figures.one_row is not None and figures.two_to_twenty is not None
    table = render_table([figures])
    for label in ("planned per accepted", "query valid on all three engines", "3-5 tables"):
        assert label in table
