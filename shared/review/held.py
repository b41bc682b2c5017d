"""Samples a run holds for a person (live review), kept in the review store's database.

The review app stores each held envelope here before it acks the broker's message, and marks it
published once the decision went out: a restarted app finds both its queue and any decision
whose publish was cut short (it publishes those again; the message id makes that harmless).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from proto.sample import SampleEnvelope
from shared.review.store import ReviewStore

held_metadata = sa.MetaData()

held = sa.Table(
    "review_held",
    held_metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(200), nullable=False, index=True),
    sa.Column("record_id", sa.String(200), nullable=False),
    sa.Column("envelope", sa.Text, nullable=False),
    sa.Column("held_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
    sa.UniqueConstraint("run_id", "record_id", name="review_held_once"),
)


@dataclass(frozen=True)
class HeldSample:
    position: int
    envelope: SampleEnvelope
    published: bool


class HeldSamples:
    def __init__(self, store: ReviewStore) -> None:
        self.store = store
        held_metadata.create_all(store.engine)

    def hold(self, envelope: SampleEnvelope) -> bool:
        """Keep the envelope; False when it is already held (a redelivery: the first stays)."""
        key = (held.c.run_id == envelope.run_id, held.c.record_id == envelope.sample_id)
        with self.store.engine.begin() as conn:
            if conn.execute(sa.select(held.c.id).where(*key)).first() is not None:
                return False
            conn.execute(
                held.insert().values(
                    run_id=envelope.run_id,
                    record_id=envelope.sample_id,
                    envelope=envelope.model_dump_json(),
                    held_at=self.store.now(),
                )
            )
        return True

    def mark_published(self, run_id: str, record_id: str, at: datetime) -> None:
        with self.store.engine.begin() as conn:
            conn.execute(
                held.update()
                .where(held.c.run_id == run_id, held.c.record_id == record_id)
                .values(published_at=at)
            )

    def list(self, run_id: str | None = None) -> list[HeldSample]:
        """Held samples in arrival order (of one run, or of every run)."""
        query = sa.select(held).order_by(held.c.id)
        if run_id is not None:
            query = query.where(held.c.run_id == run_id)
        with self.store.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [
            HeldSample(
                position,
                SampleEnvelope.model_validate_json(row["envelope"]),
                row["published_at"] is not None,
            )
            for position, row in enumerate(rows)
        ]
