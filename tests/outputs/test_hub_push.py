"""`sqlsynth export --push-to-hub`: the real huggingface_hub upload against a local hub that
speaks its endpoints, after the privacy check."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.fakes.hub import TOKEN, FakeHub
from tests.outputs.conftest import read_jsonl

pytestmark = [pytest.mark.e2e]
REPO = Path(__file__).resolve().parents[2]


def run_cli(args: list[str], hub: FakeHub, token: str = TOKEN) -> subprocess.CompletedProcess[str]:
    # A subprocess: huggingface_hub reads HF_ENDPOINT and HF_HUB_DISABLE_XET at import time.
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "HF_ENDPOINT": hub.url,
        "HF_TOKEN": token,
        "HF_HUB_DISABLE_XET": "1",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        # The embedder sets offline mode in this process (no hub at run time); the push talks
        # to the local fake hub, so its subprocess must be online.
        "HF_HUB_OFFLINE": "0",
    }
    code = "import sys; from services.cli.main import cli; cli(sys.argv[1:])"
    return subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=300
    )


def test_push_uploads_every_file_through_the_sdk(run_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "export"
    # The template's telecom domain writes phone numbers in a real numbering plan, which the
    # privacy check flags; this test is about the upload, so it pushes them knowingly.
    args = ["export", str(run_dir), "--out", str(out), "--push-to-hub", "me/sx"]
    args.append("--allow-personal-values")
    with FakeHub() as hub:
        result = run_cli(args, hub)
        assert result.returncode == 0, result.stderr
        repo = hub.state.repos["datasets:me/sx"]
        local = {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}
        assert repo.files == local
        paths = [path for _, path, _ in hub.state.requests]
        assert "/api/validate-yaml" in paths  # the card was checked before the upload
        assert any(p.startswith("/lfs/") for p in paths)  # Parquet went through LFS
        table = pq.read_table(io.BytesIO(repo.files["data/train-00000-of-00001.parquet"]))
        assert table.num_rows > 0
        # Pushing again to the existing repo works (exist_ok) and commits again.
        again = run_cli(args, hub)
        assert again.returncode == 0, again.stderr
        assert len(repo.commits) == 2


def test_a_bad_token_is_a_one_line_error(run_dir: Path, tmp_path: Path) -> None:
    with FakeHub() as hub:
        args = ["export", str(run_dir), "--out", str(tmp_path / "e"), "--push-to-hub", "me/sx"]
        result = run_cli([*args, "--allow-personal-values"], hub, token="hf_wrong")
    assert result.returncode == 1
    assert "push to me/sx failed" in result.stderr and "Traceback" not in result.stderr


def test_personal_values_stop_the_push(run_dir: Path, tmp_path: Path) -> None:
    rows = read_jsonl(run_dir / "dataset.jsonl")
    leaky = tmp_path / "leaky-run"
    leaky.mkdir()
    row = dict(rows[0])
    row["sql_context"] = (
        str(row["sql_context"]) + "\nINSERT INTO t (e) VALUES ('jane.doe@gmail.com');"
    )
    (leaky / "dataset.jsonl").write_text("\n".join(json.dumps(r) for r in [row, *rows[1:]]) + "\n")
    with FakeHub() as hub:
        result = run_cli(
            ["export", str(leaky), "--out", str(tmp_path / "e"), "--push-to-hub", "me/leak"], hub
        )
        assert result.returncode == 1
        assert "look personal" in result.stderr and "<email>" in result.stderr
        assert "datasets:me/leak" not in hub.state.repos  # nothing left the machine
