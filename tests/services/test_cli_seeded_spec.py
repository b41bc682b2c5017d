"""`sqlsynth run --seeds` without `--spec` plans from the spec measured on seeds that carry
questions (issue 13: a seeded run imitates the seeds' phrasing); a given spec, or seeds without
questions, keep their plan. The runtime is test_cli_engine's recording stand-in."""

from __future__ import annotations

import json
from pathlib import Path

from shared.spec import build_spec
from shared.spec.parse import DEFAULT_SPEC_PATH
from shared.spec.validate import default_spec
from tests.services.test_cli_engine import NO_KEY, Started, run, started  # noqa: F401

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
CONTEXT = (
    "CREATE TABLE singer (id INTEGER PRIMARY KEY, name TEXT, country TEXT, age INTEGER);\n"
    "INSERT INTO singer VALUES (1, 'Ann', 'France', 30), (2, 'Bo', 'Peru', 41);"
)
ASKS = [
    ("List the names of singers from France.", "SELECT name FROM singer WHERE country = 'France'"),
    ("Show the ages of all singers.", "SELECT age FROM singer"),
    ("List every country with a singer.", "SELECT DISTINCT country FROM singer"),
    ("Show the singers older than 35.", "SELECT name FROM singer WHERE age > 35"),
    ("Find the average age of singers.", "SELECT AVG(age) FROM singer"),
    ("List singers sorted by age.", "SELECT name FROM singer ORDER BY age"),
]


def _styles(spec_document: dict[str, object]) -> dict[str, float]:
    spec = build_spec(spec_document)
    return {str(k): v for k, v in spec.by_name["prompt_style"].to_document()["values"].items()}


def _multi_table(values: dict[str, float]) -> float:
    return sum(share for n, share in values.items() if 3 <= int(n) <= 5)


def test_seeds_with_questions_plan_the_run_from_their_own_spec(
    started: Started,  # noqa: F811
    tmp_path: Path,
) -> None:
    seeds = tmp_path / "seeds.jsonl"
    rows = [{"sql_prompt": q, "sql": sql, "sql_context": CONTEXT} for q, sql in ASKS]
    seeds.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    result = run(tmp_path / "run", "--seeds", str(seeds), env=NO_KEY)
    assert result.exit_code == 0, result.output
    styles = _styles(started.configs[0].request.spec)
    # Every seed is an imperative: the plan follows them, not the default spec's even mix.
    assert max(styles, key=lambda s: styles[s]) == "imperative" and styles["imperative"] > 0.5
    assert "measured on 6 seeds (6 with a question)" in " ".join(result.output.split())
    # Seed 000's objectives stay: at least as many multi-table queries and non-inner joins as by
    # default at every level, though every seed reads one table.
    planned = build_spec(started.configs[0].request.spec).by_name
    default = default_spec().by_name
    assert planned["join_kind"].to_document() == default["join_kind"].to_document()
    tables = planned["num_tables"].to_document()["conditional"]
    for level, branch in default["num_tables"].to_document()["conditional"].items():
        assert _multi_table(tables[level]["values"]) >= _multi_table(branch["values"])
    # A spec given on the command line is the plan, seeds or not.
    spec = ("--spec", str(DEFAULT_SPEC_PATH))
    given = run(tmp_path / "run2", "--seeds", str(seeds), *spec, env=NO_KEY)
    assert given.exit_code == 0, given.output
    assert started.configs[1].request.spec == default_spec().to_document()


def test_seeds_without_questions_keep_the_default_spec(started: Started, tmp_path: Path) -> None:  # noqa: F811
    logs = DATA / "querylogs" / "googleplus_queries.csv"
    result = run(tmp_path / "run", "--seeds", str(logs), env=NO_KEY)
    assert result.exit_code == 0, result.output
    assert started.configs[0].request.spec == default_spec().to_document()
