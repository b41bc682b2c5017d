"""A reviewer's actions on one record: accept, reject with a reason, save an edit.

A saved SQL edit must carry the passing re-validation of exactly that text: the rule "re-runs
on the engines before it can be saved" is enforced here, not only by the page's buttons.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared.review.items import ReviewItem
from shared.review.revalidate import Revalidation
from shared.review.store import Action, AuditEntry, Decision, EditField, ReviewStore


class ReviewRefused(ValueError):
    """The action cannot be stored as asked (no reason, unchecked SQL, no reviewer)."""


@dataclass(frozen=True)
class Version:
    question: str
    sql: str
    explanation: str


def original_version(item: ReviewItem) -> Version:
    return Version(item.text("sql_prompt"), item.text("sql"), item.text("sql_explanation"))


def current_version(item: ReviewItem, latest: Decision | None) -> Version:
    """What the record says now: the latest decision's text, else the pipeline's."""
    if latest is None:
        return original_version(item)
    explanation = latest.explanation
    if explanation is None:
        explanation = item.text("sql_explanation")
    return Version(latest.question, latest.sql, explanation)


def _check_reviewer(reviewer: str) -> str:
    name = reviewer.strip()
    if not name:
        raise ReviewRefused("say who you are first: every decision is stored with a reviewer")
    return name


def _count_edits(store: ReviewStore, run_id: str, record_id: str) -> int:
    return sum(1 for e in store.history(run_id, record_id) if e.field is not EditField.DECISION)


def decide(
    store: ReviewStore,
    item: ReviewItem,
    *,
    run_id: str,
    reviewer: str,
    action: Action,
    opened_at: datetime | None,
    reason: str = "",
) -> Decision:
    """Accept or reject the record as it now stands (with any edits saved before)."""
    name = _check_reviewer(reviewer)
    if action is Action.REJECT and not reason.strip():
        raise ReviewRefused("a rejection needs a reason")
    if action is Action.EDIT:
        raise ReviewRefused("an edit is saved with save_edit")
    latest = store.latest_decisions(run_id).get(item.record_id)
    version = current_version(item, latest)
    now = store.now()
    decision = Decision(
        run_id=run_id,
        record_id=item.record_id,
        reviewer=name,
        cycle=store.current_cycle(run_id),
        action=action,
        question=version.question,
        sql=version.sql,
        explanation=version.explanation,
        edits=_count_edits(store, run_id, item.record_id),
        decided_at=now,
        opened_at=opened_at,
        reason=reason.strip() or None,
    )
    change = AuditEntry(
        item.record_id,
        name,
        now,
        EditField.DECISION,
        latest.action.value if latest else None,
        action.value,
    )
    store.record_decision(decision, [change])
    return decision


def save_edit(
    store: ReviewStore,
    item: ReviewItem,
    *,
    run_id: str,
    reviewer: str,
    question: str,
    sql: str,
    opened_at: datetime | None,
    revalidation: Revalidation | None,
    explanation: str | None = None,
) -> Decision:
    """Keep the record with the reviewer's question, SQL and/or explanation (None keeps the
    current one); a changed SQL needs a passing re-validation of that very text."""
    name = _check_reviewer(reviewer)
    latest = store.latest_decisions(run_id).get(item.record_id)
    before = current_version(item, latest)
    question, sql = question.strip(), sql.strip()
    explanation = before.explanation if explanation is None else explanation.strip()
    if not question or not sql:
        raise ReviewRefused("the question and the SQL cannot be empty")
    if sql != before.sql and (revalidation is None or revalidation.sql.strip() != sql):
        raise ReviewRefused("run the edited SQL on the engines before saving it")
    if sql != before.sql and revalidation is not None and revalidation.sense_errors:
        # A new SQL is held to its question as the pipeline holds a generated one.
        found = "; ".join(f"{f.check.value}: {f.message}" for f in revalidation.sense_errors)
        raise ReviewRefused(f"the question and the SQL do not agree ({found})")
    if sql != before.sql and revalidation is not None and not revalidation.passed:
        raise ReviewRefused("the edited SQL does not pass on every engine yet")
    now = store.now()
    changes = [
        AuditEntry(item.record_id, name, now, field, old, new)
        for field, old, new in (
            (EditField.QUESTION, before.question, question),
            (EditField.SQL, before.sql, sql),
            (EditField.EXPLANATION, before.explanation, explanation),
        )
        if old != new
    ]
    if not changes:
        raise ReviewRefused("nothing changed: accept the record instead")
    changes.append(
        AuditEntry(
            item.record_id,
            name,
            now,
            EditField.DECISION,
            latest.action.value if latest else None,
            Action.EDIT.value,
        )
    )
    decision = Decision(
        run_id=run_id,
        record_id=item.record_id,
        reviewer=name,
        cycle=store.current_cycle(run_id),
        action=Action.EDIT,
        question=question,
        sql=sql,
        explanation=explanation,
        edits=_count_edits(store, run_id, item.record_id) + len(changes) - 1,
        decided_at=now,
        opened_at=opened_at,
    )
    store.record_decision(decision, changes)
    return decision
