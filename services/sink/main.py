"""Sink service: the only writer of the dataset files; publishes run status after each write."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from faststream import FastStream
from faststream.nats.annotations import NatsMessage
from nats.js.kv import KeyValue
from pydantic import ValidationError

from proto import subjects
from proto.common import Outcome, Stage
from proto.run import RunRequest, RunStatus
from proto.sample import SampleEnvelope
from proto.versions import UnsupportedVersion, decode
from services.common.app import Service, create_app, create_service
from services.common.broker import kv_replicas
from services.common.delivery import describe_delivery
from services.sink.admission import PATIENCE_DELIVERIES, PlanBounds, patience_delay
from shared.pipeline.sink import DatasetSink
from shared.settings import ServiceSettings

FINAL_SUBJECTS = {
    subjects.SAMPLE_ACCEPTED: Outcome.ACCEPTED,
    subjects.SAMPLE_DUPLICATE: Outcome.DUPLICATE,
    subjects.SAMPLE_REJECTED: Outcome.REJECTED,
}


class SinkSettings(ServiceSettings):
    out_dir: Path = Path("out")
    fsync: bool = False
    workers: int = 4


@dataclass
class SinkState:
    sink: DatasetSink
    kv: KeyValue
    bounds: PlanBounds


SinkService = Service[SinkSettings, SinkState]


async def publish_status(service: SinkService, status: RunStatus) -> None:
    body = status.model_dump_json().encode()
    await service.broker.publish(
        body,
        subjects.RUN_STATUS,
        stream=subjects.STREAM,
        headers={"Nats-Msg-Id": f"{status.run_id}:status:{status.finished}"},
    )
    await service.state.kv.put(status.run_id, body)


async def start(service: SinkService) -> None:
    settings = service.settings
    sink = DatasetSink(settings.out_dir, fsync=settings.fsync)
    sink.open()
    kv = await service.broker.key_value(subjects.RUN_STATUS_BUCKET, replicas=kv_replicas())
    plans = await service.broker.key_value(subjects.RUN_PLAN_BUCKET, replicas=kv_replicas())
    service.started = SinkState(sink, kv, PlanBounds(plans))
    for status in sink.status.values():  # counts rebuilt from the files after a restart
        await kv.put(status.run_id, status.model_dump_json().encode())


async def stop(service: SinkService) -> None:
    state, service.started = service.started, None
    if state is not None:
        state.sink.close()


def final_handler(
    service: SinkService, outcome: Outcome
) -> Callable[[NatsMessage], Awaitable[None]]:
    async def on_final(msg: NatsMessage) -> None:
        sink = service.state.sink
        subject = msg.raw_message.subject
        try:
            envelope = decode(SampleEnvelope, msg.body)
        except (ValidationError, UnsupportedVersion) as exc:
            error = str(exc).replace("\n", " ")[:1000]
            sink.write_poison(msg.body, {"error": error, "subject": subject})
            await msg.ack()
            return
        refusal = await service.state.bounds.refusal(envelope)
        if refusal is not None:
            delivered = describe_delivery(msg).delivered
            if delivered < PATIENCE_DELIVERIES:  # the planner may not have saved its plan yet
                await msg.nack(delay=patience_delay(delivered))
                return
            sink.write_poison(msg.body, {"error": refusal, "subject": subject})
            await msg.ack()
            return
        status = sink.write(outcome, envelope)
        if status is not None:
            service.metrics.samples.labels(Stage.SINK.value, outcome.value).inc()
            await publish_status(service, status)
        await msg.ack()

    return on_final


def register(service: SinkService) -> None:
    service.metrics.prime(Stage.SINK.value, [outcome.value for outcome in FINAL_SUBJECTS.values()])
    for subject, outcome in FINAL_SUBJECTS.items():
        service.subscriber(subject, f"sink-{outcome.value}")(final_handler(service, outcome))

    @service.subscriber(subjects.RUN_REQUESTED, "sink-runs")
    async def on_run(msg: NatsMessage) -> None:
        try:
            request = decode(RunRequest, msg.body)
        except (ValidationError, UnsupportedVersion) as exc:
            error = str(exc).replace("\n", " ")[:1000]
            service.state.sink.write_poison(msg.body, {"error": error, "subject": "run"})
            await msg.ack()
            return
        status = service.state.sink.ensure_run(request.run_id, request.count)
        await publish_status(service, status)
        await msg.ack()

    @service.subscriber(subjects.POISON, "sink-poison")
    async def on_poison(msg: NatsMessage) -> None:
        service.state.sink.write_poison(msg.body, dict(msg.headers or {}))
        await msg.ack()


def main() -> FastStream:
    service: SinkService = create_service("sink", SinkSettings())
    register(service)
    return create_app(service, on_startup=start, on_shutdown=stop)
