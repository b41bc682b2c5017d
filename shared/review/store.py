"""Decisions, edits, guidelines and review cycles in a real database (SQLAlchemy Core).

SQLite file by default (`<run>/review.sqlite`), PostgreSQL by DSN (`postgresql+psycopg://...`).
Every change is an audit row (who, when, field, before, after); a record's state is its latest
decision, so a reviewer can change their mind and the history still shows both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

import sqlalchemy as sa

Clock = Callable[[], datetime]

metadata = sa.MetaData()

decisions = sa.Table(
    "review_decisions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(200), nullable=False, index=True),
    sa.Column("record_id", sa.String(200), nullable=False, index=True),
    sa.Column("reviewer", sa.String(200), nullable=False),
    sa.Column("cycle", sa.Integer, nullable=False),
    sa.Column("action", sa.String(20), nullable=False),
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("sql", sa.Text, nullable=False),
    sa.Column("explanation", sa.Text, nullable=True),
    sa.Column("edits", sa.Integer, nullable=False),
    sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
)

audit = sa.Table(
    "review_audit",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(200), nullable=False, index=True),
    sa.Column("record_id", sa.String(200), nullable=False, index=True),
    sa.Column("reviewer", sa.String(200), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("field", sa.String(40), nullable=False),
    sa.Column("before", sa.Text, nullable=True),
    sa.Column("after", sa.Text, nullable=True),
)

guidelines = sa.Table(
    "review_guidelines",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(200), nullable=False, index=True),
    sa.Column("reviewer", sa.String(200), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("cycle", sa.Integer, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
)

cycles = sa.Table(
    "review_cycles",
    metadata,
    sa.Column("run_id", sa.String(200), primary_key=True),
    sa.Column("number", sa.Integer, primary_key=True),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("started_by", sa.String(200), nullable=False),
)


class Action(StrEnum):
    ACCEPT = "accept"
    REJECT = "reject"
    # Kept with the reviewer's edited question and/or SQL.
    EDIT = "edit"


class EditField(StrEnum):
    QUESTION = "question"
    SQL = "sql"
    EXPLANATION = "explanation"
    DECISION = "decision"


@dataclass(frozen=True)
class Decision:
    run_id: str
    record_id: str
    reviewer: str
    cycle: int
    action: Action
    question: str
    sql: str
    edits: int
    decided_at: datetime
    opened_at: datetime | None = None
    reason: str | None = None
    # None: the pipeline's explanation, unchanged.
    explanation: str | None = None


@dataclass(frozen=True)
class AuditEntry:
    record_id: str
    reviewer: str
    at: datetime
    field: EditField
    before: str | None
    after: str | None


@dataclass(frozen=True)
class Guideline:
    reviewer: str
    at: datetime
    cycle: int
    text: str


def utc_now() -> datetime:
    return datetime.now(UTC)


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def _aware(value: datetime | None) -> datetime | None:
    # SQLite returns naive datetimes for timezone columns; everything stored is UTC.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


class ReviewStore:
    def __init__(self, url: str, clock: Clock = utc_now) -> None:
        if url.startswith("postgresql://"):
            # The psycopg 3 driver is the one installed; plain postgresql:// means psycopg2.
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        self.engine = sa.create_engine(url, future=True)
        self.clock = clock
        metadata.create_all(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    def now(self) -> datetime:
        return self.clock()

    def current_cycle(self, run_id: str) -> int:
        with self.engine.connect() as conn:
            value = conn.execute(
                sa.select(sa.func.max(cycles.c.number)).where(cycles.c.run_id == run_id)
            ).scalar()
        return int(value or 1)

    def start_cycle(self, run_id: str, reviewer: str) -> int:
        number = self.current_cycle(run_id) + 1
        with self.engine.begin() as conn:
            if not conn.execute(
                sa.select(cycles.c.number).where(cycles.c.run_id == run_id)
            ).first():
                conn.execute(
                    cycles.insert().values(
                        run_id=run_id, number=1, started_at=self.now(), started_by=reviewer
                    )
                )
            conn.execute(
                cycles.insert().values(
                    run_id=run_id, number=number, started_at=self.now(), started_by=reviewer
                )
            )
        return number

    def record_decision(self, decision: Decision, changes: list[AuditEntry]) -> None:
        """The decision and its audit rows in one transaction: both or neither."""
        with self.engine.begin() as conn:
            conn.execute(
                decisions.insert().values(
                    run_id=decision.run_id,
                    record_id=decision.record_id,
                    reviewer=decision.reviewer,
                    cycle=decision.cycle,
                    action=decision.action.value,
                    reason=decision.reason,
                    question=decision.question,
                    sql=decision.sql,
                    explanation=decision.explanation,
                    edits=decision.edits,
                    opened_at=decision.opened_at,
                    decided_at=decision.decided_at,
                )
            )
            for entry in changes:
                conn.execute(
                    audit.insert().values(
                        run_id=decision.run_id,
                        record_id=entry.record_id,
                        reviewer=entry.reviewer,
                        at=entry.at,
                        field=entry.field.value,
                        before=entry.before,
                        after=entry.after,
                    )
                )

    def latest_decisions(self, run_id: str) -> dict[str, Decision]:
        """Each record's latest decision (a later one supersedes, the audit keeps both)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(decisions).where(decisions.c.run_id == run_id).order_by(decisions.c.id)
            ).mappings()
            latest = {row["record_id"]: _to_decision(row) for row in rows}
        return latest

    def all_decisions(self, run_id: str) -> list[Decision]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(decisions).where(decisions.c.run_id == run_id).order_by(decisions.c.id)
            ).mappings()
            return [_to_decision(row) for row in rows]

    def history(self, run_id: str, record_id: str) -> list[AuditEntry]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(audit)
                .where(audit.c.run_id == run_id, audit.c.record_id == record_id)
                .order_by(audit.c.id)
            ).mappings()
            return [
                AuditEntry(
                    record_id=row["record_id"],
                    reviewer=row["reviewer"],
                    at=_aware(row["at"]) or row["at"],
                    field=EditField(row["field"]),
                    before=row["before"],
                    after=row["after"],
                )
                for row in rows
            ]

    def add_guideline(self, run_id: str, reviewer: str, text: str) -> Guideline:
        guideline = Guideline(reviewer, self.now(), self.current_cycle(run_id), text.strip())
        with self.engine.begin() as conn:
            conn.execute(
                guidelines.insert().values(
                    run_id=run_id,
                    reviewer=reviewer,
                    at=guideline.at,
                    cycle=guideline.cycle,
                    text=guideline.text,
                )
            )
        return guideline

    def guidelines(self, run_id: str) -> list[Guideline]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(guidelines).where(guidelines.c.run_id == run_id).order_by(guidelines.c.id)
            ).mappings()
            return [
                Guideline(
                    row["reviewer"], _aware(row["at"]) or row["at"], row["cycle"], row["text"]
                )
                for row in rows
            ]


def _to_decision(row: sa.RowMapping) -> Decision:
    return Decision(
        run_id=row["run_id"],
        record_id=row["record_id"],
        reviewer=row["reviewer"],
        cycle=row["cycle"],
        action=Action(row["action"]),
        question=row["question"],
        sql=row["sql"],
        edits=row["edits"],
        decided_at=_aware(row["decided_at"]) or row["decided_at"],
        opened_at=_aware(row["opened_at"]),
        reason=row["reason"],
        explanation=row["explanation"],
    )
