"""Exact-duplicate removal: the same schema and the same normalised question or SQL.

Layer 1 of the near-duplicate design (the Qdrant layers build on it: shared/pipeline/
near_dedup.py). Claims are made in a shared store with create-if-absent semantics, so two replicas
can never both accept the same fingerprint, and a redelivered sample finds its own claim and is
not called a duplicate. The near-duplicate stage only looks claims up first (`find_exact`) and
claims once a sample is accepted, so a sample that a later layer calls a duplicate owns nothing.
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

    async def owner(self, key: str) -> str | None:
        """The key's owner, or None when nobody claimed it."""
        ...


class MemoryClaimStore:
    """For tests and single-process use."""

    def __init__(self) -> None:
        self.owners: dict[str, str] = {}

    async def claim(self, key: str, owner: str) -> str:
        return self.owners.setdefault(key, owner)

    async def owner(self, key: str) -> str | None:
        return self.owners.get(key)


def short_hash(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def normalize_question(question: str) -> str:
    return " ".join(_WORDS.findall(question.lower()))


def normalize_sql(sql: str, dialect: str = "sqlite") -> str:
    try:
        return sqlglot.transpile(sql, read=dialect, write="sqlite", normalize=True, pretty=False)[0]
    except sqlglot.errors.SqlglotError:
        return " ".join(sql.lower().split())


def schema_scope(schema_ddl: str) -> str:
    """The schema a sample is compared within (EvolSQL's schema-aware deduplication)."""
    return short_hash(schema_ddl)


def fingerprint_keys(scope: str, question: str | None, sql: str, dialect: str) -> dict[str, str]:
    """Claim keys of one sample within `scope` (run and schema); no question, no question key."""
    keys = {}
    if question is not None and normalize_question(question):
        keys["question"] = f"{scope}.q.{short_hash(normalize_question(question))}"
    keys["sql"] = f"{scope}.s.{short_hash(normalize_sql(sql, dialect))}"
    return keys


def fingerprints(envelope: SampleEnvelope) -> dict[str, str]:
    draft = envelope.draft
    assert draft is not None
    scope = f"{envelope.run_id}.{schema_scope(draft.schema_ddl)}"
    return fingerprint_keys(scope, draft.question, draft.sql, sqlglot_dialect(draft.sql_dialect))


async def find_exact(
    store: ClaimStore, keys: dict[str, str], sample_id: str
) -> tuple[str, str] | None:
    """(layer, owner) of the first key another sample owns, without claiming anything."""
    for layer, key in keys.items():
        owner = await store.owner(key)
        if owner is not None and owner != sample_id:
            return f"exact_{layer}", owner
    return None


async def claim_exact(
    store: ClaimStore, keys: dict[str, str], sample_id: str
) -> tuple[str, str] | None:
    """Claim every key; (layer, owner) of the first one another sample already owns."""
    for layer, key in keys.items():
        owner = await store.claim(key, sample_id)
        if owner != sample_id:
            return f"exact_{layer}", owner
    return None


class ExactDedupStage:
    def __init__(self, store: ClaimStore) -> None:
        self.store = store

    async def __call__(self, envelope: SampleEnvelope) -> list[Emit]:
        found = await claim_exact(self.store, fingerprints(envelope), envelope.sample_id)
        if found is not None:
            layer, owner = found
            envelope.dedup = DedupVerdict(
                duplicate=True,
                layer=layer,
                nearest_sample_id=owner,
                scores={"similarity": 1.0},
            )
            what = layer.removeprefix("exact_")
            envelope.record(Stage.DEDUP, Outcome.DUPLICATE, f"same {what} as {owner}")
            return [Emit(subjects.SAMPLE_DUPLICATE, envelope, Outcome.DUPLICATE)]
        envelope.dedup = DedupVerdict(duplicate=False, layer="exact")
        envelope.record(Stage.DEDUP, Outcome.ACCEPTED)
        return [Emit(subjects.SAMPLE_ACCEPTED, envelope, Outcome.ACCEPTED)]
