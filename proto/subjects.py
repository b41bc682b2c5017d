"""NATS subject and stream names: the only place they are spelled out."""

from __future__ import annotations

STREAM = "SQLSYNTH"
PREFIX = "sqlsynth"

RUN_REQUESTED = f"{PREFIX}.run.requested"
SEED_INGESTED = f"{PREFIX}.seed.ingested"
SAMPLE_PLANNED = f"{PREFIX}.sample.planned"
SAMPLE_DRAFTED = f"{PREFIX}.sample.drafted"
SAMPLE_CHECKED = f"{PREFIX}.sample.checked"
SAMPLE_FAILED = f"{PREFIX}.sample.failed"
SAMPLE_REVIEWED = f"{PREFIX}.sample.reviewed"
SAMPLE_ACCEPTED = f"{PREFIX}.sample.accepted"
SAMPLE_DUPLICATE = f"{PREFIX}.sample.duplicate"
SAMPLE_REJECTED = f"{PREFIX}.sample.rejected"
# The sink reports each sample it wrote, so the planner can count and plan replacements.
SAMPLE_WRITTEN = f"{PREFIX}.sample.written"

STREAM_SUBJECTS = [f"{PREFIX}.>"]

# Key-value bucket that holds live run status (one key per run id).
RUN_STATUS_BUCKET = "sqlsynth_run_status"
