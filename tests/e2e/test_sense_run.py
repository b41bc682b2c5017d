"""A small default run with the sense checks on, on real NATS, SQLite, PostgreSQL and MariaDB:
no accepted record carries an error-level finding, re-checked from the written file alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from proto.common import Engine, PromptStyle
from proto.sense import Severity
from shared.runtime.local import LocalStack
from shared.sense import Origin, SenseInput, analyse_record
from tests.e2e.harness import make_request, run_to_completion, start_services

pytestmark = [pytest.mark.e2e, pytest.mark.engines]
ALL = [Engine.SQLITE, Engine.POSTGRES, Engine.MYSQL]


async def test_accepted_records_have_no_error_finding(stack: LocalStack, tmp_path: Path) -> None:
    supervisor = start_services(stack, tmp_path, ALL)
    try:
        output = await run_to_completion(stack, supervisor, make_request(30, seed=12), tmp_path)
    finally:
        supervisor.stop_all()
    accepted = output.records("dataset.jsonl")
    assert accepted
    for record in accepted:
        verdict = record["validation"]["sense"]
        assert verdict is not None, record["id"]
        assert all(f["severity"] != Severity.ERROR.value for f in verdict["findings"])
        # From the file alone: the sql_context carries the rows the data checks ran on.
        report = analyse_record(
            SenseInput(
                question=record["sql_prompt"],
                sql=record["sql"],
                schema_ddl=record["sql_context"],
                origin=Origin.GENERATED,
                planned_style=PromptStyle(record["prompt_style"]),
            )
        )
        assert not report.errors, (record["id"], [f.message for f in report.errors])
    status = output.status
    assert status.sense_checked == status.accepted
    rejected = output.records("rejected.jsonl")
    sense_rejected = [r for r in rejected if r["error_class"] == "sense_error"]
    assert sum(status.sense_rejected.values()) >= len(sense_rejected)
    if sense_rejected:
        history = sense_rejected[0]["envelope"]["history"]
        assert any(h.get("checks") for h in history)
