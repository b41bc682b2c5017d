"""The app factory every service uses: settings, logging, metrics, broker, lifespan."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import structlog
from faststream import FastStream
from faststream.middlewares import AckPolicy
from faststream.nats import JStream, NatsBroker
from faststream.nats.annotations import NatsMessage
from prometheus_client import start_http_server

from proto.common import Stage
from services.common.broker import build_broker, consumer_config, pull, stream_config
from services.common.delivery import SampleDelivery, StageFn
from services.common.health import HealthState, start_health_server
from shared.logging import configure_logging
from shared.metrics import Metrics
from shared.settings import ServiceSettings

HandlerT = TypeVar("HandlerT", bound=Callable[..., Awaitable[None]])


@dataclass
class Service:
    """What a service's handlers share: built at start-up, torn down at shutdown."""

    name: str
    settings: ServiceSettings
    metrics: Metrics
    broker: NatsBroker
    log: Any
    state: dict[str, Any] = field(default_factory=dict)
    stream: JStream = field(default_factory=stream_config)

    def subscriber(self, subject: str, durable: str) -> Callable[[HandlerT], HandlerT]:
        """A durable pull consumer on the stream with manual acks (HOUSE_STYLE 6)."""
        register = self.broker.subscriber(
            subject,
            stream=self.stream,
            durable=durable,
            pull_sub=pull(self.settings),
            ack_policy=AckPolicy.MANUAL,
            config=consumer_config(self.settings),
            max_workers=self.settings.workers,
        )

        def decorate(handler: HandlerT) -> HandlerT:
            register(handler)
            return handler

        return decorate

    def sample_subscriber(
        self, subject: str, durable: str, stage: Stage, fn: Callable[[], StageFn]
    ) -> None:
        """Subscribe a stage function under the shared delivery policy.

        `fn` is looked up per message because the stage object is built in the lifespan.
        """
        delivery = SampleDelivery(stage, self.broker, self.settings, self.metrics)

        async def handle(msg: NatsMessage) -> None:
            await delivery.handle(msg, fn())

        self.subscriber(subject, durable)(handle)


def create_service(name: str, settings: ServiceSettings) -> Service:
    log = configure_logging(name, settings.log_level)
    metrics = Metrics()
    broker = build_broker(settings, metrics, name)
    return Service(name, settings, metrics, broker, log)


def create_app(
    service: Service,
    on_startup: Callable[[Service], Awaitable[None]] | None = None,
    on_shutdown: Callable[[Service], Awaitable[None]] | None = None,
) -> FastStream:
    app = FastStream(service.broker, logger=None)
    health = HealthState(service.broker.ping)

    @app.on_startup
    async def startup() -> None:
        if service.settings.metrics_port:
            start_http_server(service.settings.metrics_port, registry=service.metrics.registry)
        if service.settings.health_port:
            # Up before the start-up hook: a slow start (dedup loads its model) is "alive, not
            # ready", which the kubelet's startup probe tolerates instead of restarting it.
            service.state["health_server"] = await start_health_server(
                health, service.settings.health_port
            )
        # Connect before the broker starts its subscribers, so start-up hooks can create KV
        # buckets and every stage object exists before the first message is delivered.
        await service.broker.connect()
        if on_startup:
            await on_startup(service)
        health.ready = True
        structlog.get_logger().info("service started", service=service.name)

    @app.on_shutdown
    async def shutdown() -> None:
        health.ready = False
        if on_shutdown:
            await on_shutdown(service)
        server = service.state.pop("health_server", None)
        if server is not None:
            server.close()

    return app
