"""The app factory every service uses: settings, logging, metrics, broker, lifespan."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

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
from shared.pipeline.routes import check_handlers, routes_of
from shared.settings import ServiceSettings

HandlerT = TypeVar("HandlerT", bound=Callable[..., Awaitable[None]])
SettingsT = TypeVar("SettingsT", bound=ServiceSettings)
StateT = TypeVar("StateT")


class NotStarted(RuntimeError):
    """A handler or hook read the service's state before its start-up hook built it."""


@dataclass
class Service(Generic[SettingsT, StateT]):
    """What a service's handlers share: its typed settings, and the typed state its start-up
    hook builds (clients, stages) and its shutdown hook tears down."""

    name: str
    settings: SettingsT
    metrics: Metrics
    broker: NatsBroker
    log: Any
    stream: JStream = field(default_factory=stream_config)
    # Set by the start-up hook; None before it ran (and when it failed).
    started: StateT | None = None

    @property
    def state(self) -> StateT:
        """The state the start-up hook built; reading it earlier is a wiring bug."""
        if self.started is None:
            raise NotStarted(f"{self.name}: state read before the service started")
        return self.started

    def subscriber(self, subject: str, durable: str) -> Callable[[HandlerT], HandlerT]:
        """A durable pull consumer on the stream with manual acks: a handler that raises must
        not make FastStream terminate the message (its NATS default)."""
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

    def subscribe_routes(
        self, consumer: Stage, handlers: Mapping[str, Callable[[], StageFn]]
    ) -> None:
        """Subscribe every route the routing table (shared.pipeline.routes) gives `consumer`,
        each to its stage function; a missing or extra handler is a wiring error."""
        routes = routes_of(consumer)
        check_handlers(handlers, [route.subject for route in routes])
        for route in routes:
            if route.subject not in handlers:
                raise ValueError(f"{consumer.value}: no handler for routed {route.subject}")
            fn = handlers[route.subject]
            self.sample_subscriber(route.subject, route.durable, route.stage, fn)


def create_service(name: str, settings: SettingsT) -> Service[SettingsT, Any]:
    """The service with its logging, metrics and broker; annotate the variable with the state
    type (`service: Service[MySettings, MyState] = create_service(...)`)."""
    log = configure_logging(name, settings.log_level)
    metrics = Metrics()
    broker = build_broker(settings, metrics, name)
    return Service(name, settings, metrics, broker, log)


def create_app(
    service: Service[SettingsT, StateT],
    on_startup: Callable[[Service[SettingsT, StateT]], Awaitable[None]] | None = None,
    on_shutdown: Callable[[Service[SettingsT, StateT]], Awaitable[None]] | None = None,
) -> FastStream:
    app = FastStream(service.broker, logger=None)
    health = HealthState(service.broker.ping)
    probes: list[asyncio.Server] = []  # the probe server, once started

    @app.on_startup
    async def startup() -> None:
        if service.settings.metrics_port:
            start_http_server(service.settings.metrics_port, registry=service.metrics.registry)
        if service.settings.health_port:
            # Up before the start-up hook: a slow start (dedup loads its model) is "alive, not
            # ready", which the kubelet's startup probe tolerates instead of restarting it.
            probes.append(await start_health_server(health, service.settings.health_port))
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
        for server in probes:
            server.close()

    return app
