"""The review domain without a browser: queue order by need, decisions and audit in SQLite and
in the real PostgreSQL of the test stack, the per-cycle measures, the export."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from proto.common import Engine, Level, Policy
from proto.sample import EngineCheck, Validation
from proto.sense import SenseCheck, Severity
from shared.review.decide import ReviewRefused, decide, original_version, save_edit
from shared.review.export import build_export_rows
from shared.review.items import Need, QueueFilter, ReviewItem, load_items, order_queue
from shared.review.measures import measure_cycles
from shared.review.revalidate import Revalidation
from shared.review.store import Action, EditField, ReviewStore, sqlite_url
from shared.runtime.local import LocalStack
from shared.sense.findings import Finding

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "review_run"


class StepClock:
    """Each reading is 30 s after the previous: decisions get distinct, known times."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=30)
        return self.now


def fixture_records() -> list[dict[str, object]]:
    lines = (FIXTURE / "dataset.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def test_queue_puts_sense_judge_engines_repairs_first(tmp_path: Path) -> None:
    records = fixture_records()
    marked = copy.deepcopy(records)
    marked[1]["attempts"] = 2
    marked[2]["validation"]["results_agree"] = False  # type: ignore[index]
    marked[3]["review"] = {"verdict": "pass", "reasons": ["LIMIT not asked"], "reviewer": "j"}
    marked[4]["validation"]["sense"] = {  # type: ignore[index]
        "findings": [
            {"check": "literal_not_in_question", "severity": "warning", "message": "'x' unnamed"},
            {"check": "unwitnessed_predicate", "severity": "not_applicable", "message": ""},
        ],
        "not_applicable": [],
    }
    run = tmp_path / "run"
    run.mkdir()
    (run / "dataset.jsonl").write_text("\n".join(json.dumps(r) for r in marked) + "\n")
    queue = order_queue(load_items(run))
    assert [i.needs for i in queue[:4]] == [
        (Need.SENSE_WARNING,),
        (Need.JUDGE_OBJECTION,),
        (Need.ENGINE_DISAGREEMENT,),
        (Need.REPAIR,),
    ]
    assert [i.record_id for i in queue[4:]] == [
        r["id"] for n, r in enumerate(records) if n not in {1, 2, 3, 4}
    ]
    assert [f.message for f in queue[0].findings] == ["literal_not_in_question: 'x' unnamed"]
    assert [i.record_id for i in queue if QueueFilter(finding="repair").admits(i)] == [
        records[1]["id"]
    ]
    style = str(records[0]["prompt_style"])
    assert all(i.text("prompt_style") == style for i in queue if QueueFilter(style=style).admits(i))


def test_a_malformed_line_is_named(tmp_path: Path) -> None:
    (tmp_path / "dataset.jsonl").write_text('{"id": "a"}\n{broken\n')
    with pytest.raises(ValueError, match=r"dataset\.jsonl:2"):
        load_items(tmp_path)


@pytest.fixture
def postgres_url(stack: LocalStack) -> Iterator[str]:
    """A fresh database on the stack's PostgreSQL, dropped afterwards."""
    dsn = stack.dsn("postgres")
    assert dsn
    name = f"review_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    base = dsn.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


def passing(sql: str) -> Revalidation:
    return Revalidation(
        sql=sql,
        dialect=Engine.SQLITE,
        validation=Validation(
            level=Level.FULL,
            policy=Policy.PORTABLE,
            checks=[EngineCheck(engine=e, level=Level.FULL, ok=True, row_count=1) for e in Engine],
            non_empty=True,
            results_agree=True,
        ),
        renderings={},
    )


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.engines)])
def test_decisions_audit_measures_and_export(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = (
        sqlite_url(tmp_path / "review.sqlite")
        if backend == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    clock = StepClock()
    store = ReviewStore(url, clock=clock)
    items = load_items(FIXTURE)
    run_id = str(items[0].record["run_id"])
    a, b, c, d = items[:4]

    def opened() -> datetime:
        return clock.now

    with pytest.raises(ReviewRefused, match="reason"):
        decide(store, a, run_id=run_id, reviewer="ann", action=Action.REJECT, opened_at=None)
    with pytest.raises(ReviewRefused, match="who you are"):
        decide(store, a, run_id=run_id, reviewer=" ", action=Action.ACCEPT, opened_at=None)
    decide(store, a, run_id=run_id, reviewer="ann", action=Action.ACCEPT, opened_at=opened())
    decide(
        store,
        b,
        run_id=run_id,
        reviewer="ann",
        action=Action.REJECT,
        opened_at=opened(),
        reason="asks for more than the SQL returns",
    )
    # An SQL edit needs a passing re-validation of that very text.
    new_sql = "SELECT 1 AS one"
    with pytest.raises(ReviewRefused, match="engines"):
        save_edit(
            store,
            c,
            run_id=run_id,
            reviewer="bo",
            question=c.text("sql_prompt"),
            sql=new_sql,
            opened_at=None,
            revalidation=None,
        )
    with pytest.raises(ReviewRefused, match="engines"):
        save_edit(
            store,
            c,
            run_id=run_id,
            reviewer="bo",
            question=c.text("sql_prompt"),
            sql=new_sql,
            opened_at=None,
            revalidation=passing("SELECT 2 AS two"),
        )
    # It runs everywhere but the question and the SQL disagree: the sense finding is named.
    finding = Finding(SenseCheck.UNUSED_JOIN, Severity.ERROR, "orders is joined but never used")
    with pytest.raises(ReviewRefused, match="unused_join"):
        save_edit(
            store,
            c,
            run_id=run_id,
            reviewer="bo",
            question="Edited?",
            sql=new_sql,
            opened_at=None,
            revalidation=replace(passing(new_sql), sense_errors=(finding,)),
        )
    save_edit(
        store,
        c,
        run_id=run_id,
        reviewer="bo",
        question="Edited?",
        sql=new_sql,
        opened_at=opened(),
        revalidation=passing(new_sql),
        explanation="Returns the constant one.",
    )
    store.add_guideline(run_id, "bo", "avoid CROSS JOIN")
    assert store.start_cycle(run_id, "bo") == 2
    decide(store, d, run_id=run_id, reviewer="bo", action=Action.ACCEPT, opened_at=opened())
    # A changed mind: the latest decision wins, the audit keeps both.
    decide(
        store,
        a,
        run_id=run_id,
        reviewer="bo",
        action=Action.REJECT,
        opened_at=opened(),
        reason="on second reading the filter is vacuous",
    )

    latest = store.latest_decisions(run_id)
    assert {k: v.action for k, v in latest.items()} == {
        a.record_id: Action.REJECT,
        b.record_id: Action.REJECT,
        c.record_id: Action.EDIT,
        d.record_id: Action.ACCEPT,
    }
    trail = store.history(run_id, c.record_id)
    assert [(e.field, e.reviewer) for e in trail] == [
        (EditField.QUESTION, "bo"),
        (EditField.SQL, "bo"),
        (EditField.EXPLANATION, "bo"),
        (EditField.DECISION, "bo"),
    ]
    assert (trail[1].before, trail[1].after) == (c.text("sql"), new_sql)
    assert [e.after for e in store.history(run_id, a.record_id)] == ["accept", "reject"]
    assert [g.text for g in store.guidelines(run_id)] == ["avoid CROSS JOIN"]

    originals = {i.record_id: original_version(i) for i in items}
    first, second = measure_cycles(store.all_decisions(run_id), originals)
    assert (first.cycle, first.reviewed, first.accepted, first.edited, first.rejected) == (
        1,
        3,
        1,
        1,
        1,
    )
    assert first.disagreement_rate == pytest.approx(2 / 3)
    assert first.acceptance_rate == pytest.approx(2 / 3)
    assert first.edits_per_record == pytest.approx(3 / 3)
    assert first.median_seconds == 30.0  # the clock steps 30 s from opening to deciding
    assert (second.reviewed, second.accepted, second.rejected) == (2, 1, 1)

    rows = {r["id"]: r for r in build_export_rows(items, latest)}
    assert a.record_id not in rows and b.record_id not in rows
    assert rows[c.record_id]["sql"] == new_sql and rows[c.record_id]["edited"] is True
    assert rows[c.record_id]["original_sql"] == c.text("sql")
    assert rows[c.record_id]["sql_explanation"] == "Returns the constant one."
    assert rows[c.record_id]["original_sql_explanation"] == c.text("sql_explanation")
    assert rows[c.record_id]["sql_by_dialect"]["postgres"] == new_sql
    assert rows[d.record_id]["reviewed"] and rows[d.record_id]["reviewer"] == "bo"
    assert not rows[items[5].record_id]["reviewed"]
    store.close()


def test_items_are_frozen() -> None:
    item = load_items(FIXTURE)[0]
    assert isinstance(item, ReviewItem)
    with pytest.raises(AttributeError):
        item.record_id = "x"  # type: ignore[misc]
