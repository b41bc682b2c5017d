"""Monitor service: exports what only the broker knows, so alerts see a stall.

A stage's own gauges vanish when its process dies, and JetStream's pending messages are not
visible from inside a handler. This process asks JetStream for every consumer of the stream and
exports pending / ack-pending / redelivered per consumer, the stream's size, and whether NATS
answered at all (`sqlsynth_nats_up`). One replica is enough; it holds no state.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal

import nats
import structlog
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server
from pydantic import Field

from proto import subjects
from shared.logging import configure_logging
from shared.settings import ServiceSettings


class MonitorSettings(ServiceSettings):
    # How often JetStream is asked; well below Prometheus's scrape interval is pointless.
    poll_interval_s: float = Field(default=5.0, gt=0)


class BrokerGauges:
    """The monitor's metrics, in its own registry."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        labels = ["consumer"]
        self.pending = Gauge(
            "sqlsynth_consumer_pending",
            "Messages on the stream not yet delivered to the consumer",
            labels,
            registry=self.registry,
        )
        self.ack_pending = Gauge(
            "sqlsynth_consumer_ack_pending",
            "Messages delivered to the consumer and not yet acknowledged",
            labels,
            registry=self.registry,
        )
        self.redelivered = Gauge(
            "sqlsynth_consumer_redelivered",
            "Messages the consumer has had redelivered (current count)",
            labels,
            registry=self.registry,
        )
        self.stream_messages = Gauge(
            "sqlsynth_stream_messages", "Messages stored in the stream", registry=self.registry
        )
        self.stream_bytes = Gauge(
            "sqlsynth_stream_bytes", "Bytes stored in the stream", registry=self.registry
        )
        self.nats_up = Gauge(
            "sqlsynth_nats_up", "1 when JetStream answered the last poll", registry=self.registry
        )
        self.poll_errors = Counter(
            "sqlsynth_monitor_poll_errors_total",
            "Polls of JetStream that failed",
            registry=self.registry,
        )
        self.known: set[str] = set()

    async def poll(self, js: JetStreamContext) -> None:
        """One look at the stream and its consumers; consumers that disappeared are dropped."""
        info = await js.stream_info(subjects.STREAM)
        self.stream_messages.set(info.state.messages)
        self.stream_bytes.set(info.state.bytes)
        seen: set[str] = set()
        for consumer in await js.consumers_info(subjects.STREAM):
            name = consumer.name
            seen.add(name)
            self.pending.labels(name).set(consumer.num_pending or 0)
            self.ack_pending.labels(name).set(consumer.num_ack_pending or 0)
            self.redelivered.labels(name).set(consumer.num_redelivered or 0)
        for gone in self.known - seen:
            for gauge in (self.pending, self.ack_pending, self.redelivered):
                with contextlib.suppress(KeyError):
                    gauge.remove(gone)
        self.known = seen
        self.nats_up.set(1)


async def watch(settings: MonitorSettings, gauges: BrokerGauges, stop: asyncio.Event) -> None:
    """Poll until `stop` is set; a broker that is down is a 0 on `sqlsynth_nats_up`, not a crash."""
    log = structlog.get_logger()
    client: NATS | None = None
    while not stop.is_set():
        try:
            if client is None or not client.is_connected:
                client = await nats.connect(
                    settings.nats_url, connect_timeout=2, max_reconnect_attempts=0
                )
            await gauges.poll(client.jetstream())
        except Exception as exc:  # any broker failure is the signal itself, not a crash
            gauges.nats_up.set(0)
            gauges.poll_errors.inc()
            log.warning("jetstream poll failed", error=f"{type(exc).__name__}: {exc}"[:300])
            if client is not None:
                with contextlib.suppress(Exception):
                    await client.close()
                client = None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), settings.poll_interval_s)
    if client is not None:
        with contextlib.suppress(Exception):
            await client.close()


async def main() -> None:
    settings = MonitorSettings()
    configure_logging("monitor", settings.log_level)
    gauges = BrokerGauges()
    if settings.metrics_port:
        start_http_server(settings.metrics_port, registry=gauges.registry)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        loop.add_signal_handler(sig, stop.set)
    structlog.get_logger().info("service started", service="monitor")
    await watch(settings, gauges, stop)
