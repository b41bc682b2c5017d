"""The crash window of live review: a decision stored but never published (the app died in
between) is published when the app starts again, on the real NATS of the test stack."""

from __future__ import annotations

import uuid
from pathlib import Path

import nats
import pytest

from proto import subjects
from proto.common import Outcome, ReviewMode
from proto.sample import SampleEnvelope
from services.review.context import ReviewContext
from services.review.live import LiveQueue
from shared.engines.settings import EngineSettings
from shared.review.decide import decide
from shared.review.held import HeldSamples
from shared.review.store import Action, ReviewStore, sqlite_url
from shared.runtime.local import LocalStack
from tests.unit.pipeline.conftest import make_envelope

pytestmark = [pytest.mark.e2e]


async def test_a_stored_but_unsent_decision_is_sent_at_start(
    stack: LocalStack, tmp_path: Path
) -> None:
    run_id = f"live-{uuid.uuid4().hex[:8]}"
    envelope = make_envelope(sample_id=f"{run_id}-1", run_id=run_id)
    envelope.review_mode = ReviewMode.ALL
    store = ReviewStore(sqlite_url(tmp_path / "review.sqlite"))
    context = ReviewContext(
        run_dir=tmp_path,
        store=store,
        engine_settings=EngineSettings(),
        engines=[],
        live=True,
        fixed_run_id=run_id,
    )
    # What the app had done before it died: held the sample, stored the decision, no publish.
    HeldSamples(store).hold(envelope)
    queue = LiveQueue(stack.dsn("nats") or "", context)
    decide(
        store,
        context.items[0],
        run_id=run_id,
        reviewer="Ada",
        action=Action.REJECT,
        opened_at=None,
        reason="wrong table",
    )

    await queue.start()
    try:
        nc = await nats.connect(stack.dsn("nats") or "")
        last = await nc.jetstream().get_last_msg(subjects.STREAM, subjects.SAMPLE_REJECTED)
        await nc.close()
    finally:
        await queue.stop()

    sent = SampleEnvelope.model_validate_json(last.data or b"")
    assert sent.sample_id == envelope.sample_id
    assert sent.history[-1].reason == "reviewed by Ada: wrong table"
    assert last.headers and last.headers["Nats-Msg-Id"] == envelope.message_id(Outcome.REJECTED)
    assert [h.published for h in HeldSamples(store).list(run_id)] == [True]
    assert context.sent == {envelope.sample_id}
