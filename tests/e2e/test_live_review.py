"""A run with review=all on the real stack: every sample waits for a person in the review app
(a process, as `sqlsynth run --review` starts it), the test decides them through the app's HTTP
endpoints (one rejected, one edited, the rest accepted), kills the app mid-queue and starts it
again, and the run ends once with exactly those outcomes."""

from __future__ import annotations

import html
import re
import socket
from pathlib import Path
from typing import Any

import httpx
import pytest

from proto.common import Engine, ReviewMode
from proto.run import RunStatus
from shared.runtime.local import LocalStack
from tests.e2e.harness import make_request, run_to_completion, start_services

pytestmark = [pytest.mark.e2e]

COUNT = 5
REVIEWER = "Ada"
REASON = "the question does not say which rows it wants"
EDITED = "How many rows does this query return, as the reviewer reworded it?"
LINK = re.compile(r'href="/records/([^"?]+)')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def read_textarea(page: str, name: str) -> str:
    found = re.search(rf'<textarea name="{name}"[^>]*>(.*?)</textarea>', page, re.S)
    assert found, f"no {name} field on the record page"
    return html.unescape(found.group(1))


class Reviewer:
    """Decides what the app lists, as a person would: reject the first, edit the second, accept
    the rest; after those two it kills the app and starts it again once."""

    def __init__(self, base: str, restart: Any) -> None:
        self.base = base
        self.restart = restart
        self.decided: dict[str, str] = {}
        self.listed_before_restart: set[str] = set()
        self.listed_after_restart: set[str] = set()
        self.restarted = False
        self.second_try_refused = False

    async def try_again(self, client: httpx.AsyncClient) -> None:
        """A decision already sent to the pipeline cannot be changed (after a restart too)."""
        if self.second_try_refused:
            return
        rejected = next(i for i, d in self.decided.items() if d == "reject")
        response = await client.post(
            f"/records/{rejected}/accept", data={"opened_at": "", "query": ""}
        )
        location = response.headers.get("location", "")
        assert "error=" in location and "already%20went" in location, location
        self.second_try_refused = True

    async def listed(self, client: httpx.AsyncClient) -> list[str]:
        try:
            page = await client.get("/")
        except httpx.TransportError:
            return []  # the app is (re)starting
        return list(dict.fromkeys(LINK.findall(page.text))) if page.status_code == 200 else []

    async def __call__(self, status: RunStatus) -> None:
        cookies = {"sqlsynth_reviewer": REVIEWER}
        async with httpx.AsyncClient(base_url=self.base, cookies=cookies, timeout=30) as client:
            listed = await self.listed(client)
            if self.restarted and listed:
                self.listed_after_restart.update(listed)
                await self.try_again(client)
            for record_id in listed:
                if record_id not in self.decided:
                    await self.decide(client, record_id)
                    if len(self.decided) == 2 and not self.restarted:
                        self.listed_before_restart = set(await self.listed(client))
                        self.restart()
                        self.restarted = True
                        return

    async def decide(self, client: httpx.AsyncClient, record_id: str) -> None:
        if not self.decided:
            form = {"reason": REASON, "opened_at": "", "query": ""}
            response = await client.post(f"/records/{record_id}/reject", data=form)
            self.decided[record_id] = "reject"
        elif len(self.decided) == 1:
            page = (await client.get(f"/records/{record_id}")).text
            form = {
                "question": EDITED,
                "sql": read_textarea(page, "sql"),
                "explanation": read_textarea(page, "explanation"),
                "opened_at": "",
            }
            response = await client.post(f"/records/{record_id}/edit", data=form)
            self.decided[record_id] = "edit"
        else:
            response = await client.post(
                f"/records/{record_id}/accept", data={"opened_at": "", "query": ""}
            )
            self.decided[record_id] = "accept"
        assert response.status_code in (303, 204), response.text[-500:]
        assert "error=" not in response.headers.get("location", ""), response.headers


async def test_run_waits_for_review_and_survives_an_app_restart(
    stack: LocalStack, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    request = make_request(COUNT, seed=21, engines=[Engine.SQLITE], review=ReviewMode.ALL)
    port = free_port()
    supervisor = start_services(
        stack,
        out,
        [Engine.SQLITE],
        {"SQLSYNTH_REVIEW_PORT": str(port), "SQLSYNTH_REVIEW_RUN_ID": request.run_id},
    )

    def restart() -> None:
        supervisor.kill("review-0")  # SIGKILL: no clean shutdown, as when a laptop sleeps
        supervisor.start("review")

    supervisor.start("review")
    reviewer = Reviewer(f"http://127.0.0.1:{port}", restart)
    try:
        result = await run_to_completion(
            stack, supervisor, request, out, timeout_s=400, during=reviewer
        )
    finally:
        supervisor.stop_all()

    status = result.status
    decisions = reviewer.decided
    assert status.accepted == COUNT
    # The pipeline rejects some drafts itself (sense checks) before any reaches the queue.
    rejected = result.records("rejected.jsonl")
    by_review = [r for r in rejected if str(r["reason"]).startswith("reviewed by")]
    assert len(by_review) == sum(1 for d in decisions.values() if d == "reject") == 1
    assert status.rejected == len(rejected)
    assert status.finished == result.plan.planned
    assert result.plan.planned == len(decisions) + status.duplicate + len(rejected) - 1
    # Nothing listed before the restart went missing after it.
    assert reviewer.restarted and len(reviewer.listed_before_restart) >= 2
    assert reviewer.listed_before_restart <= reviewer.listed_after_restart
    assert reviewer.second_try_refused

    accepted = result.records("dataset.jsonl")
    ids = [r["id"] for r in accepted]
    assert len(ids) == len(set(ids)) == COUNT
    assert set(ids) == {i for i, d in decisions.items() if d != "reject"}
    edited = next(i for i, d in decisions.items() if d == "edit")
    by_id = {r["id"]: r for r in accepted}
    assert by_id[edited]["sql_prompt"] == EDITED
    for record in accepted:
        stages = [(h["stage"], h["outcome"]) for h in record["history"]]
        assert ("dedup", "awaiting_review") in stages
        assert stages[-1] == ("review", "accepted") or stages[-2] == ("review", "accepted")

    assert [r["id"] for r in by_review] == [i for i, d in decisions.items() if d == "reject"]
    assert by_review[0]["reason"] == f"reviewed by {REVIEWER}: {REASON}"
