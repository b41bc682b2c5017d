"""End to end in a real browser: queue → accept → a broken SQL edit shows the engines' errors →
fixed, saved → the decision is in the database and in the export (which `datasets` loads)."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from pathlib import Path

import pytest
from playwright.sync_api import expect

from proto.common import Engine
from services.cli.review import build_context
from services.review.context import REVIEW_DB
from shared.review.store import Action, ReviewStore, sqlite_url
from shared.runtime.local import LocalStack
from tests.review.browser import open_browser, serve

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "review_run"
# A check runs the SQL on three engines: beside stress-ng it took longer than expect's 5 s.
ENGINE_CHECK_MS = 30_000
pytestmark = [pytest.mark.e2e, pytest.mark.engines]


def first_table(context_sql: str) -> str:
    conn = sqlite3.connect(":memory:")
    conn.executescript(context_sql)
    return str(conn.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchone()[0])


def test_review_in_the_browser(stack: LocalStack, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    shutil.copytree(FIXTURE, run_dir)
    dsns = {Engine.POSTGRES: stack.dsn("postgres") or "", Engine.MYSQL: stack.dsn("mysql") or ""}
    context = build_context(run_dir, None, list(Engine), dsns)
    records = {i.record_id: i for i in context.items}

    with serve(context) as base, open_browser() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(base + "/")
        expect(page.locator("#queue tbody tr")).to_have_count(len(records))
        page.fill("#reviewer-name", "ann")
        page.click("header form.who button")
        expect(page.locator("#need-name")).to_have_count(0)

        # Accept the first record of the queue with the keyboard shortcut.
        page.locator("#queue a.open").first.click()
        # Keys and htmx act once the page's scripts ran: wait for its load event.
        page.wait_for_load_state("load")
        accepted_id = page.url.rsplit("/", 1)[-1]
        page.keyboard.press("a")
        expect(page).not_to_have_url(re.compile(re.escape(accepted_id) + "$"))
        page.wait_for_load_state("load")
        edited_id = page.url.rsplit("/", 1)[-1].split("?")[0]
        assert edited_id != accepted_id

        # A SQL edited into an error: the three engines' own messages, and no save.
        page.fill("#edit-sql", "SELECT no_such_column FROM no_such_table")
        page.click("#check")
        expect(page.locator("#check-failed")).to_be_visible(timeout=ENGINE_CHECK_MS)
        messages = page.locator(".engine-message").all_inner_texts()
        assert len(messages) == 3 and all("no_such" in m for m in messages), messages
        page.click("#save")
        expect(page.locator("#refusal")).to_be_visible(timeout=ENGINE_CHECK_MS)

        # Fixed: passes everywhere, then saved with an edited question too.
        table = first_table(records[edited_id].text("sql_context"))
        fixed_sql = f"SELECT COUNT(*) AS row_count FROM {table}"
        page.fill("#edit-sql", fixed_sql)
        # The sense checks hold the SQL to the question on the page: word it for the new SQL.
        page.fill("#edit-question", f"How many rows does {table} have?")
        page.click("#check")
        expect(page.locator("#check-passed")).to_be_visible(timeout=ENGINE_CHECK_MS)
        page.fill("#edit-explanation", f"Counts the rows of {table}.")
        page.click("#save")
        decision = page.locator("#current-decision")
        expect(decision).to_have_text("edit by ann", timeout=ENGINE_CHECK_MS)
        expect(page.locator(".review-change").first).to_be_visible()

        # Reject a third record with a reason: it leaves the export.
        rejected_id = next(r for r in records if r not in {accepted_id, edited_id})
        page.goto(f"{base}/records/{rejected_id}", wait_until="load")
        page.fill("#reject-reason", "the question asks for more than the SQL returns")
        page.click("#reject")
        expect(page).not_to_have_url(re.compile(re.escape(rejected_id)))

        response = page.request.get(base + "/export")
        assert response.ok
        export_lines = [json.loads(x) for x in response.text().splitlines()]

    # The database (a fresh connection to the file) holds every decision with its reviewer.
    store = ReviewStore(sqlite_url(run_dir / REVIEW_DB))
    latest = store.latest_decisions(context.run_id)
    assert latest[accepted_id].action is Action.ACCEPT and latest[accepted_id].reviewer == "ann"
    assert latest[edited_id].action is Action.EDIT and latest[edited_id].sql == fixed_sql
    assert latest[rejected_id].action is Action.REJECT
    changes = {(a.field.value, a.after) for a in store.history(context.run_id, edited_id)}
    assert ("sql", fixed_sql) in changes
    assert ("explanation", f"Counts the rows of {table}.") in changes
    store.close()

    # The export: rejected left out, the edit with its original, loadable with `datasets`.
    by_id = {row["id"]: row for row in export_lines}
    assert rejected_id not in by_id and len(by_id) == len(records) - 1
    assert by_id[edited_id]["sql"] == fixed_sql and by_id[edited_id]["edited"]
    assert by_id[edited_id]["original_sql"] == records[edited_id].text("sql")
    assert by_id[edited_id]["sql_explanation"] == f"Counts the rows of {table}."
    assert by_id[accepted_id]["reviewed"] and not by_id[accepted_id]["edited"]
    import datasets

    loaded = datasets.load_dataset(
        "json", data_files=str(run_dir / "reviewed.jsonl"), split="train"
    )
    assert loaded.num_rows == len(records) - 1
    row = loaded[[r["id"] for r in loaded].index(edited_id)]
    assert row["reviewer"] == "ann" and row["reviewed"] is True and row["sql"] == fixed_sql
