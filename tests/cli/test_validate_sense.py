"""`sqlsynth validate --sense` on small slices of the real data (SQLite only: no servers)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from services.cli.main import cli
from shared.sense import ERROR_CHECKS, SenseCheck

DATA = Path(__file__).parents[2].parent / "shared" / "data"


def _validate(path: Path, *extra: str) -> str:
    args = ["validate", str(path), "--engines", "sqlite", "--sense", "--no-progress", *extra]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_json_has_a_share_per_check_for_gretel(tmp_path: Path) -> None:
    lines = (DATA / "gretel" / "gretel_sample_1000.jsonl").read_text().splitlines()[:40]
    path = tmp_path / "gretel.jsonl"
    path.write_text("\n".join(lines) + "\n")
    report = json.loads(_validate(path, "--json"))
    sense = report["sense"]
    assert sense["records"] == 40
    assert set(sense["shares"]) == {c.value for c in SenseCheck}
    assert sense["with_rows"] > 0  # Gretel rows carry INSERTs: the data checks run
    assert sense["origin"] == {"user": sense["analysed"]}
    for row in sense["shares"].values():
        assert row["share"] is None or 0.0 <= row["share"] <= 1.0
        assert row["error_count"] <= row["count"]
    # On a user's dataset structural findings are warnings, not errors.
    assert sense["shares"][SenseCheck.UNWITNESSED_PREDICATE.value]["error_count"] == 0


def test_spider_data_checks_are_not_applicable(tmp_path: Path) -> None:
    dev = json.loads((DATA / "spider" / "dev.json").read_text())[:25]
    path = tmp_path / "dev.json"
    path.write_text(json.dumps(dev))
    (tmp_path / "tables.json").write_text((DATA / "spider" / "tables.json").read_text())
    report = json.loads(_validate(path, "--json"))
    sense = report["sense"]
    assert sense["with_rows"] == 0
    assert sense["data_checks"] == "not applicable (no rows)"
    assert sense["shares"][SenseCheck.EMPTY_SET_BRANCH.value]["share"] is None


def test_table_lists_every_error_check(tmp_path: Path) -> None:
    lines = (DATA / "gretel" / "gretel_sample_1000.jsonl").read_text().splitlines()[:10]
    path = tmp_path / "gretel.jsonl"
    path.write_text("\n".join(lines) + "\n")
    output = _validate(path)
    assert "Sense:" in output
    for check in ERROR_CHECKS:
        assert check.value[:20] in output
