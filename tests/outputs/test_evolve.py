"""`sqlsynth evolve` on the three real engines: two rounds over accepted records, every evolved
record validated on SQLite, PostgreSQL and MariaDB with equal results and no error-level sense
finding, with its lineage; a bad run folder is a one-line error."""

from __future__ import annotations

import io
import json
import shutil
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from proto.common import Engine
from services.cli.main import cli
from services.cli.run_outputs import write_outputs
from shared.evolution.outputs import evolution_rounds, mean_complexity
from shared.runtime.local import LocalStack
from shared.sql.features import analyze_query
from tests.conftest import FIXTURES
from tests.outputs.conftest import engine_args, read_jsonl

pytestmark = [pytest.mark.engines, pytest.mark.slow]
PARENTS = FIXTURES / "evolution" / "parents.jsonl"


@pytest.fixture(scope="module")
def evolved_dir(stack: LocalStack, tmp_path_factory: pytest.TempPathFactory) -> Path:
    run = tmp_path_factory.mktemp("evolve-source")
    # A torn line among the records: reported and skipped, the rest evolved.
    (run / "dataset.jsonl").write_text(PARENTS.read_text() + '{"id": "torn", "sql_con\n')
    out = run / "evolved"
    args = ["evolve", str(run), "--rounds", "2", "--out", str(out), "--json", *engine_args(stack)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "1 unreadable line(s) not evolved" in " ".join(result.output.split())
    return out


def test_two_rounds_pass_the_pipeline_with_lineage(evolved_dir: Path) -> None:
    summary = json.loads((evolved_dir / "summary.json").read_text())
    assert summary["unreadable_lines"] == 1
    rounds = summary["rounds"]
    assert [r["round"] for r in rounds] == [1, 2]
    for r in rounds:
        # Each evolution was run on the rows before; the engines and checks agree nearly always.
        # What they do not reject, the near-duplicate search judges as in a run: an evolution
        # whose question reads like its parent's (a clause appended) is a duplicate.
        assert r["accepted"] + r["duplicate"] >= 0.8 * r["drafted"], r
        assert r["accepted"] > 0, r
    for row in read_jsonl(evolved_dir / "duplicates.jsonl"):
        verdict = row["envelope"]["dedup"]
        assert verdict["duplicate"] and verdict["layer"] in {
            "question",
            "sql",
            "exact_question",
            "exact_sql",
        }
    parents = {json.loads(line)["id"] for line in PARENTS.open()}
    records = read_jsonl(evolved_dir / "dataset.jsonl")
    assert len(records) == summary["accepted"]
    ids = {r["id"] for r in records}
    rounds = evolution_rounds(records)
    for record in records:
        assert record["parent_id"] in parents | ids
        depth = rounds[record["id"]]
        assert depth == (1 if record["parent_id"] in parents else 2)
        # One operator per round, or two composed in one step.
        assert depth <= len(record["evolution"]) <= 2 * depth
        validation = record["validation"]
        assert {c["engine"] for c in validation["checks"]} == {"sqlite", "postgres", "mysql"}
        assert all(c["ok"] for c in validation["checks"]) and validation["results_agree"]
        assert validation["non_empty"]
        sense = validation["sense"]
        assert sense is not None
        assert not [f for f in sense["findings"] if f["severity"] == "error"]
        assert set(record["sql_by_dialect"]) == {"sqlite", "postgres", "mysql"}
    # Each record's own step (one operator, or two composed): its chain past its parent's.
    chains = {r["id"]: len(r["evolution"]) for r in records}
    shares = Counter(op for r in records for op in r["evolution"][chains.get(r["parent_id"], 0) :])
    assert len(shares) == 6, shares  # the scarcity weight spreads the six operators


def test_complexity_grows_round_by_round(evolved_dir: Path) -> None:
    """Each round is above its own parents (EvolSQL's Table 3 per round, read against the
    records each child came from): the rounds' plain means also depend on which evolutions
    the near-duplicate search lets through, which favours simple parents."""
    summary = json.loads((evolved_dir / "summary.json").read_text())
    assert len(summary["rounds"]) == 2
    sql = {json.loads(line)["id"]: json.loads(line)["sql"] for line in PARENTS.open()}
    records = read_jsonl(evolved_dir / "dataset.jsonl")
    sql.update({r["id"]: r["sql"] for r in records})
    rounds = evolution_rounds(records)
    for depth in (1, 2):
        kids = [r for r in records if rounds[r["id"]] == depth]
        assert kids, depth
        children = mean_complexity(r["sql"] for r in kids)
        parents = mean_complexity(sql[r["parent_id"]] for r in kids)
        assert (children["tokens"] or 0) > (parents["tokens"] or 0), depth
        for key in ("functions", "subqueries", "nesting", "joins", "aggregates"):
            assert (children[key] or 0) >= (parents[key] or 0), (depth, key)
    # Every operator adds to its parent: more tokens than the SQL it was evolved from.
    for record in records:
        child = analyze_query(record["sql"]).features
        parent = analyze_query(sql[record["parent_id"]]).features
        assert child is not None and parent is not None
        assert child.tokens > parent.tokens, record["id"]


def test_a_folder_without_a_dataset_is_a_one_line_error(tmp_path: Path, stack: LocalStack) -> None:
    result = CliRunner().invoke(cli, ["evolve", str(tmp_path), *engine_args(stack)])
    assert result.exit_code != 0
    assert "no dataset.jsonl" in result.output and "Traceback" not in result.output


def test_run_evolve_rounds_evolves_the_runs_own_records(
    run_dir: Path, stack: LocalStack, tmp_path: Path
) -> None:
    """`sqlsynth run --evolve-rounds N` ends in write_outputs: a real run's records evolved into
    OUT/evolved, beside the export."""
    out = tmp_path / "run"
    shutil.copytree(run_dir, out)
    console = Console(file=io.StringIO(), width=200)
    write_outputs(
        out,
        console,
        engines=list(Engine),
        postgres_dsn=stack.dsn("postgres"),
        mysql_dsn=stack.dsn("mysql"),
        evolve_rounds=1,
    )
    printed = console.file.getvalue()  # type: ignore[attr-defined]
    records = read_jsonl(out / "evolved" / "dataset.jsonl")
    assert records and f"{len(records)} evolved records" in printed
    parents = {r["id"] for r in read_jsonl(out / "dataset.jsonl")}
    assert all(r["parent_id"] in parents and 1 <= len(r["evolution"]) <= 2 for r in records)
    assert (out / "export").is_dir()
