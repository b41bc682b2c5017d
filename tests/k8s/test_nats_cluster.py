"""The production NATS config (k8s/base/nats.yaml) on three nats-servers on loopback, and the
stream exactly as the services create it with the production settings (3 replicas, size and age
limits): messages published before and after one node is killed are all consumed, none twice.

Only ports, paths and route addresses differ from the ConfigMap (one host, three servers)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import signal
import subprocess
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TypeVar

import nats
import pytest
from nats.js.api import ConsumerConfig
from nats.js.errors import APIError, NoStreamResponseError, ServiceUnavailableError

from proto import subjects
from services.common.broker import ensure_stream, kv_replicas
from shared.runtime.local import free_port, nats_server_binary, wait_for_port
from tests.k8s.manifests import find, render

pytestmark = pytest.mark.e2e
T = TypeVar("T")
PASSWORD = "cluster-test-password"
ROUTES = [
    "nats://nats-0.nats-cluster:6222",
    "nats://nats-1.nats-cluster:6222",
    "nats://nats-2.nats-cluster:6222",
]


def node_config(
    conf: str, client: int, http: int, route: int, routes: list[int], store: Path
) -> str:
    for name, port in zip(ROUTES, routes, strict=True):
        conf = conf.replace(name, f"nats://127.0.0.1:{port}")
    return (
        conf.replace("listen: 0.0.0.0:4222", f"listen: 127.0.0.1:{client}")
        .replace("http: 0.0.0.0:8222", f"http: 127.0.0.1:{http}")
        .replace("listen: 0.0.0.0:6222", f"listen: 127.0.0.1:{route}")
        .replace("store_dir: /data", f"store_dir: {store}")
    )


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[dict[str, tuple[subprocess.Popen[bytes], int]]]:
    conf = find(render("prod"), "ConfigMap", "nats-config")["data"]["nats.conf"]
    assert all(route in conf for route in ROUTES)
    clients = [free_port() for _ in range(3)]
    routes = [free_port() for _ in range(3)]
    nodes: dict[str, tuple[subprocess.Popen[bytes], int]] = {}
    try:
        for i in range(3):
            name = f"nats-{i}"
            (tmp_path / name).mkdir()
            path = tmp_path / f"{name}.conf"
            path.write_text(
                node_config(conf, clients[i], free_port(), routes[i], routes, tmp_path / name)
            )
            proc = subprocess.Popen(
                [nats_server_binary(), "-c", str(path)],
                env={"POD_NAME": name, "NATS_PASSWORD": PASSWORD},
                stdout=(tmp_path / f"{name}.log").open("ab"),
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            nodes[name] = (proc, clients[i])
        for proc, port in nodes.values():
            wait_for_port(port, proc, 30, "nats-server")
        yield nodes
    finally:
        for proc, _ in nodes.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


# What a client sees while the cluster elects a new leader: retried (with the same Nats-Msg-Id,
# so a publish that did land is not stored twice).
TRANSIENT = (
    ServiceUnavailableError,
    APIError,
    NoStreamResponseError,
    nats.errors.TimeoutError,
    nats.errors.NoRespondersError,
)


async def until(step: Callable[[], Awaitable[T]], timeout_s: float = 60) -> T:
    """Retry a JetStream call while the cluster elects leaders (no sleeps racing a timer:
    the deadline only bounds a wait for a state the cluster reaches by itself)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return await step()
        except TRANSIENT:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.25)


async def publish(js: nats.js.JetStreamContext, first: int, count: int) -> None:
    for i in range(first, first + count):
        msg_id = f"m-{i}"
        await until(
            functools.partial(
                js.publish,
                subjects.SAMPLE_PLANNED,
                msg_id.encode(),
                headers={"Nats-Msg-Id": msg_id},
            )
        )


async def survive_one_node_loss(
    nodes: dict[str, tuple[subprocess.Popen[bytes], int]], env: dict[str, str]
) -> tuple[list[str], int, str, str]:
    urls = [f"nats://sqlsynth:{PASSWORD}@127.0.0.1:{port}" for _, port in nodes.values()]
    nc = await nats.connect(urls, max_reconnect_attempts=-1, reconnect_time_wait=0.2)
    try:
        js = nc.jetstream(timeout=5)
        os.environ.update(env)
        await until(lambda: ensure_stream(js), 90)
        info = await until(lambda: js.stream_info(subjects.STREAM))
        assert info.config.num_replicas == 3
        assert info.config.max_bytes == int(env["SQLSYNTH_STREAM_MAX_BYTES"])
        assert info.config.max_age == float(env["SQLSYNTH_STREAM_MAX_AGE_S"])
        await publish(js, 0, 100)
        # A bucket as the services open theirs (run status, claims): replicated the same way.
        kv = await until(
            lambda: js.create_key_value(bucket=subjects.RUN_STATUS_BUCKET, replicas=kv_replicas())
        )
        await until(lambda: kv.put("run-1", b"before"))
        info = await until(lambda: js.stream_info(subjects.STREAM))
        assert info.cluster is not None
        leader = str(info.cluster.leader)
        proc, _ = nodes[leader]
        os.killpg(proc.pid, signal.SIGKILL)  # the stream's leader, the hardest one to lose
        proc.wait(10)
        await publish(js, 100, 100)
        assert (await until(lambda: kv.get("run-1"))).value == b"before"
        await until(lambda: kv.put("run-1", b"after"))
        await publish(js, 150, 50)  # republished ids: deduplicated, not stored twice
        sub = await until(
            lambda: js.pull_subscribe(
                subjects.SAMPLE_PLANNED, "cluster-check", config=ConsumerConfig(ack_wait=30)
            )
        )
        seen: list[str] = []
        while len(seen) < 200:
            try:
                batch = await sub.fetch(50, timeout=5)
            except nats.errors.TimeoutError:
                break
            for msg in batch:
                seen.append(msg.data.decode())
                await msg.ack()
        assert (await until(lambda: kv.get("run-1"))).value == b"after"
        bucket = await until(lambda: js.stream_info(f"KV_{subjects.RUN_STATUS_BUCKET}"))
        assert bucket.config.num_replicas == 3
        after = await until(lambda: js.stream_info(subjects.STREAM))
        assert after.cluster is not None
        return seen, after.state.messages, leader, str(after.cluster.leader)
    finally:
        await nc.close()


def test_a_three_replica_stream_loses_nothing_when_a_node_dies(
    cluster: dict[str, tuple[subprocess.Popen[bytes], int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = find(render("prod"), "ConfigMap", "sqlsynth-config")["data"]
    env = {k: v for k, v in config.items() if k.startswith("SQLSYNTH_STREAM_")}
    for key in env:
        monkeypatch.setenv(key, env[key])
    seen, stored, old_leader, new_leader = asyncio.run(survive_one_node_loss(cluster, env))
    assert sorted(seen) == sorted(f"m-{i}" for i in range(200))
    assert stored == 200
    assert new_leader != old_leader
