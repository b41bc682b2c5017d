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
# A sample dedup would accept, held for a person when the run asks for review (`--review`);
# the review app publishes it to sample.accepted or sample.rejected once decided.
SAMPLE_AWAITING_REVIEW = f"{PREFIX}.sample.awaiting_review"
SAMPLE_DUPLICATE = f"{PREFIX}.sample.duplicate"
SAMPLE_REJECTED = f"{PREFIX}.sample.rejected"
# The sink publishes the run's status after each write: the planner plans replacements from it.
RUN_STATUS = f"{PREFIX}.run.status"
# Bytes that are not a valid message, kept with the reason (never dropped).
POISON = f"{PREFIX}.poison"

STREAM_SUBJECTS = [f"{PREFIX}.>"]

# Key-value buckets: live run status and plan (one key each per run id), dedup claims.
RUN_STATUS_BUCKET = "sqlsynth_run_status"
RUN_PLAN_BUCKET = "sqlsynth_run_plan"
# What a run spent so far (dollars, tokens), summed over every replica: its budget is checked on it.
RUN_SPEND_BUCKET = "sqlsynth_run_spend"
# Concrete settings generated per domain, shared by the generator replicas (the avoid list).
AVOID_SETTINGS_BUCKET = "sqlsynth_avoid_settings"
DEDUP_BUCKET = "sqlsynth_dedup"
# Seeds the planner has received, keyed "<pool>.<seed_id>" (SeedEvent JSON).
SEED_BUCKET = "sqlsynth_seeds"
