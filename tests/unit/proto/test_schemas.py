"""The JSON Schema files next to the models must match the models (regenerate: make schemas)."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from proto import Blueprint, Outcome, SampleEnvelope, Stage
from proto.schema_gen import SCHEMA_DIR, render_schemas


@pytest.mark.parametrize("filename", sorted(render_schemas()))
def test_committed_schema_matches_model(filename: str) -> None:
    committed = (SCHEMA_DIR / filename).read_text()
    assert committed == render_schemas()[filename], (
        f"proto/schemas/{filename} drifted from its model: run `make schemas` and review the diff"
    )


def test_no_schema_file_without_model() -> None:
    on_disk = {p.name for p in SCHEMA_DIR.glob("*.schema.json")}
    assert on_disk == set(render_schemas())


def test_envelope_rejects_unknown_fields() -> None:
    raw = SampleEnvelope(run_id="r", sample_id="s", blueprint=Blueprint(domain="retail"))
    doc = json.loads(raw.model_dump_json())
    doc["surprise"] = 1
    with pytest.raises(ValidationError, match="surprise"):
        SampleEnvelope.model_validate(doc)


def test_envelope_round_trip_keeps_history_and_ids() -> None:
    envelope = SampleEnvelope(run_id="r", sample_id="s", blueprint=Blueprint(domain="retail"))
    envelope.record(Stage.PLANNER, Outcome.PLANNED, "because")
    again = SampleEnvelope.model_validate_json(envelope.model_dump_json())
    assert again == envelope
    assert again.history[0].reason == "because"
    assert envelope.message_id(Outcome.PLANNED) == "r:s:1:planned"
