"""The cluster path of DESIGN.md: services already up, the ingest command publishes seeds from a
real query log into a pool, and `sqlsynth submit --seed-pool` runs on them; the services' sink
writes the dataset."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from proto.common import Engine
from services.cli.main import cli
from shared.runtime.local import LocalStack
from tests.e2e.harness import start_services

pytestmark = [pytest.mark.e2e, pytest.mark.engines]
LOG = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "querylogs"


def test_submit_runs_on_seeds_the_ingest_command_published(
    stack: LocalStack, tmp_path: Path
) -> None:
    nats_url = stack.dsn("nats") or ""
    pool = f"trace-{uuid.uuid4().hex[:6]}"
    supervisor = start_services(stack, tmp_path, [Engine.SQLITE])
    try:
        ingest = CliRunner().invoke(
            cli,
            [
                "ingest",
                str(LOG / "googleplus_queries.csv"),
                "--publish",
                "--pool",
                pool,
                "--nats-url",
                nats_url,
                "--json",
            ],
        )
        assert ingest.exit_code == 0, ingest.output
        published = json.loads(ingest.stdout)["published"]
        assert published > 100
        submitted = CliRunner().invoke(
            cli,
            [
                "submit",
                "--nats-url",
                nats_url,
                "--seed-pool",
                pool,
                "--seed-count",
                str(published),
                "--count",
                "12",
                "--engines",
                "sqlite",
                "--timeout",
                "300",
            ],
        )
    finally:
        supervisor.stop_all()
    assert submitted.exit_code == 0, submitted.output
    run_id = submitted.stdout.strip().splitlines()[-1]
    assert "12 accepted" in submitted.output
    records = [
        json.loads(line)
        for line in (tmp_path / "dataset.jsonl").read_text().splitlines()
        if json.loads(line)["run_id"] == run_id
    ]
    assert len(records) == 12
    assert all(r["properties"]["seed_mode"] == "expand" for r in records)
    assert all(r["domain"].startswith("seed_") for r in records)
    assert len({r["properties"]["seed_id"] for r in records}) == 12  # least-used seeds first
