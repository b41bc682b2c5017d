"""Replay a reviewer's decisions (docs/review/demo_decisions.json, written by reading the records)
through the review app in Chromium, cycle by cycle, and take the docs' screenshots.

    python scripts/review_demo.py http://127.0.0.1:PORT RUN_ID_PREFIX docs/review
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.review.browser import open_browser


def apply(page: Page, base: str, record_id: str, decision: list[str]) -> None:
    page.goto(f"{base}/records/{record_id}", wait_until="load")
    kind = decision[0]
    if kind == "accept":
        page.click("#accept")
    elif kind == "reject":
        page.fill("#reject-reason", decision[1])
        page.click("#reject")
    elif kind == "edit":
        page.fill("#edit-question", decision[1])
        page.click("#save")
        expect(page.locator("#current-decision")).to_contain_text("edit")
    elif kind == "edit_sql":
        page.fill("#edit-sql", decision[1])
        page.fill("#edit-question", decision[2])
        page.click("#check")
        expect(page.locator("#check-passed")).to_be_visible()
        page.click("#save")
        expect(page.locator("#current-decision")).to_contain_text("edit")
    page.wait_for_load_state("load")


def main(base: str, prefix: str, out: Path) -> None:
    plan = json.loads((out / "demo_decisions.json").read_text())
    with open_browser() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(base + "/", wait_until="load")
        page.fill("#reviewer-name", plan["reviewer"])
        page.click("header form.who button")
        page.screenshot(path=str(out / "queue.png"))
        for number, cycle in enumerate(plan["cycles"], start=1):
            for suffix, decision in cycle["decisions"].items():
                apply(page, base, f"{prefix}-0000{suffix}", decision)
            for text in cycle["guidelines"]:
                page.goto(base + "/guidelines", wait_until="load")
                page.fill("#guideline-text", text)
                page.click("#add-guideline")
            if number < len(plan["cycles"]):
                page.goto(base + "/guidelines", wait_until="load")
                page.click("#next-cycle")
        page.goto(base + "/guidelines", wait_until="load")
        page.screenshot(path=str(out / "guidelines.png"), full_page=True)
        page.goto(base + "/measures", wait_until="load")
        page.screenshot(path=str(out / "measures.png"), full_page=True)
        print(page.locator("#measures").inner_text())
        # A record with an edit in progress that fails on the engines.
        page.goto(f"{base}/records/{prefix}-0000036", wait_until="load")
        broken = "SELECT p.product_family, SUM(p.unit_cost) AS total FROM products p LIMIT"
        page.fill("#edit-sql", broken)
        page.click("#check")
        expect(page.locator("#check-failed")).to_be_visible()
        page.screenshot(path=str(out / "record_check.png"), full_page=True)
        page.goto(f"{base}/records/{prefix}-0000021", wait_until="load")
        page.screenshot(path=str(out / "record.png"), full_page=True)
        page.goto(base + "/", wait_until="load")
        page.screenshot(path=str(out / "queue_decided.png"), full_page=False)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], Path(sys.argv[3]))
