"""What a stage asks to publish."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from proto import subjects
from proto.common import Outcome, Stage
from proto.sample import ErrorClass, SampleEnvelope


@dataclass(frozen=True)
class Emit:
    """An envelope, the subject to publish it on, and the outcome it records (for the msg id)."""

    subject: str
    envelope: SampleEnvelope
    outcome: Outcome


def reject(envelope: SampleEnvelope, stage: Stage, reason: str, error_class: ErrorClass) -> Emit:
    envelope.record(stage, Outcome.REJECTED, reason, error_class)
    return Emit(subjects.SAMPLE_REJECTED, envelope, Outcome.REJECTED)


def sample_seed(envelope: SampleEnvelope, salt: str = "") -> int:
    """A per-sample, per-attempt seed: deterministic, so replays generate the same draft."""
    key = f"{envelope.run_id}:{envelope.sample_id}:{envelope.attempt}:{salt}".encode()
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big")
