"""`sqlsynth export`: Parquet splits by schema that `datasets` loads, slim records apart from
provenance, stable column types, the gold result, the card, and the SFT view."""

from __future__ import annotations

import json
from pathlib import Path

import datasets
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from huggingface_hub import DatasetCard

from services.cli.main import cli
from shared.export.splits import SPLITS
from shared.export.writer import export_run
from tests.outputs.conftest import read_jsonl

pytestmark = [pytest.mark.e2e]


@pytest.fixture(scope="module")
def exported(run_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("export")
    result = CliRunner().invoke(cli, ["export", str(run_dir), "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["records"] == len(read_jsonl(run_dir / "dataset.jsonl"))
    return out


def test_datasets_loads_the_splits_and_no_schema_is_in_two(exported: Path, run_dir: Path) -> None:
    loaded = datasets.load_dataset(str(exported))
    assert set(loaded) == set(SPLITS)
    assert all(loaded[s].num_rows > 0 for s in SPLITS)
    schemas = {s: set(loaded[s]["base_schema"]) for s in SPLITS}
    assert not schemas["train"] & schemas["validation"]
    assert not schemas["train"] & schemas["test"]
    assert not schemas["validation"] & schemas["test"]
    source = {r["id"]: r for r in read_jsonl(run_dir / "dataset.jsonl")}
    ids = [i for s in SPLITS for i in loaded[s]["id"]]
    assert sorted(ids) == sorted(source)
    record = loaded["train"][0]
    original = source[record["id"]]
    # Slim: training fields only, provenance apart.
    assert "validation" not in record and "history" not in record and "cost" not in record
    assert record["question"] == original["sql_prompt"]
    assert record["schema"] == original["sql_context"]
    assert record["sql_by_dialect"]["postgres"] == original["sql_by_dialect"]["postgres"]
    for check in original["validation"]["checks"]:
        gold = record["gold"][check["engine"]]
        assert gold["digest"] == check["digest"] and gold["row_count"] == check["row_count"]


def test_provenance_links_by_id(exported: Path, run_dir: Path) -> None:
    provenance = datasets.load_dataset(str(exported), "provenance")
    training = datasets.load_dataset(str(exported))
    for split in SPLITS:
        assert sorted(provenance[split]["id"]) == sorted(training[split]["id"])
    row = provenance["train"][0]
    assert json.loads(row["validation"])["checks"]
    assert next(h["stage"] for h in json.loads(row["history"])) == "planner"


def test_sft_messages_end_with_the_gold_sql(exported: Path) -> None:
    sft = datasets.load_dataset(str(exported), "sft")
    training = {r["id"]: r for r in datasets.load_dataset(str(exported))["train"]}
    row = sft["train"][0]
    roles = [m["role"] for m in row["messages"]]
    assert roles == ["system", "user", "assistant"]
    record = training[row["id"]]
    assert record["question"] in row["messages"][1]["content"]
    assert record["sql_by_dialect"]["sqlite"] in row["messages"][2]["content"]


def test_card_has_the_hub_header_with_features_splits_and_rates(exported: Path) -> None:
    card = DatasetCard.load(exported / "README.md")
    data = card.data.to_dict()
    assert data["license"] == "apache-2.0"
    names = {c["config_name"] for c in data["configs"]}
    assert {"default", "provenance", "sft"} <= names
    [info] = [i for i in data["dataset_info"] if i["config_name"] == "default"]
    assert {f["name"] for f in info["features"]} >= {"schema", "question", "sql", "gold"}
    counts = {s["name"]: s["num_examples"] for s in info["splits"]}
    loaded = datasets.load_dataset(str(exported))
    assert counts == {s: loaded[s].num_rows for s in SPLITS}
    assert "drafts valid at their first check" in card.text
    assert "generator: `template`" in card.text


def test_a_template_file_and_a_claude_file_concatenate(run_dir: Path, tmp_path: Path) -> None:
    """Reasoning, evidence and sense findings are null in every template record; a Claude run
    fills them. Each export alone must carry the same types, so the files concatenate."""
    rows = read_jsonl(run_dir / "dataset.jsonl")
    claude_dir = tmp_path / "claude-run"
    claude_dir.mkdir()
    with (claude_dir / "dataset.jsonl").open("w") as handle:
        for row in rows[:6]:
            row = {
                **row,
                "generator": "claude",
                "reasoning": "Link the tables, then filter.",
                "evidence": "revenue means price times quantity",
                "cost": {**row["cost"], "calls": 3, "usd": 0.0123},
            }
            handle.write(json.dumps(row) + "\n")
    template_out = export_run(run_dir, tmp_path / "template-export").out_dir
    claude_out = export_run(claude_dir, tmp_path / "claude-export").out_dir
    for folder in ("data", "provenance", "sft"):
        tables = [
            pq.read_table(path)
            for out in (template_out, claude_out)
            for path in sorted((out / folder).glob("*.parquet"))
        ]
        combined = pa.concat_tables(tables)  # raises on a schema mismatch
        assert combined.num_rows == len(rows) + 6
    template = datasets.load_dataset(str(template_out))["train"]
    claude = datasets.load_dataset(str(claude_out))["train"]
    assert template.features == claude.features
    both = datasets.concatenate_datasets([template, claude])
    assert "Link the tables, then filter." in both["reasoning"]


def test_a_folder_without_a_dataset_is_one_line_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["export", str(tmp_path)])
    assert result.exit_code == 1
    assert "no dataset.jsonl" in result.output and "Traceback" not in result.output
