"""Exact-duplicate removal: the same schema and the same normalised question or SQL.

Layer 1 of the near-duplicate design (the Qdrant layers build on it). Claims are made in a
shared store with create-if-absent semantics, so two replicas can never both accept the same
fingerprint, and a redelivered sample finds its own claim and is not called a duplicate.
"""

from __future__ import annotations

import hashlib
import re
from typing import Protocol

import sqlglot

from proto import subjects
from proto.common import Outcome, Stage
from proto.sample import DedupVerdict, SampleEnvelope
from shared.pipeline.emit import Emit
from shared.sql.dialects import sqlglot_dialect

_WORDS = re.compile(r"[a-z0-9]+")


class ClaimStore(Protocol):
    async def claim(self, key: str, owner: str) -> str:
        """Record `owner` under `key` unless present; return the key's owner either way."""
        ...


class MemoryClaimStore:
    """For tests and single-process use."""

    def __init__(self) -> None:
        self.owners: dict[str, str] = {}

    async def claim(self, key: str, owner: str) -> str:
        return self.owners.setdefault(key, owner)


def short_hash(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def normalize_question(question: str) -> str:
    return " ".join(_WORDS.findall(question.lower()))


def normalize_sql(sql: str, dialect: str = "sqlite") -> str:
    try:
        return sqlglot.transpile(sql, read=dialect, write="sqlite", normalize=True, pretty=False)[0]
    except sqlglot.errors.SqlglotError:
        return " ".join(sql.lower().split())


def fingerprints(envelope: SampleEnvelope) -> dict[str, str]:
    draft = envelope.draft
    assert draft is not None
    scope = f"{envelope.run_id}.{short_hash(draft.schema_ddl)}"
    sql = normalize_sql(draft.sql, sqlglot_dialect(draft.sql_dialect))
    return {
        "question": f"{scope}.q.{short_hash(normalize_question(draft.question))}",
        "sql": f"{scope}.s.{short_hash(sql)}",
    }


class ExactDedupStage:
    def __init__(self, store: ClaimStore) -> None:
        self.store = store

    async def __call__(self, envelope: SampleEnvelope) -> list[Emit]:
        for layer, key in fingerprints(envelope).items():
            owner = await self.store.claim(key, envelope.sample_id)
            if owner != envelope.sample_id:
                envelope.dedup = DedupVerdict(
                    duplicate=True,
                    layer=f"exact_{layer}",
                    nearest_sample_id=owner,
                    scores={"similarity": 1.0},
                )
                envelope.record(Stage.DEDUP, Outcome.DUPLICATE, f"same {layer} as {owner}")
                return [Emit(subjects.SAMPLE_DUPLICATE, envelope, Outcome.DUPLICATE)]
        envelope.dedup = DedupVerdict(duplicate=False, layer="exact")
        envelope.record(Stage.DEDUP, Outcome.ACCEPTED)
        return [Emit(subjects.SAMPLE_ACCEPTED, envelope, Outcome.ACCEPTED)]
