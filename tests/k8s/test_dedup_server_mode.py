"""Dedup's server mode (SQLSYNTH_QDRANT_URL, what the Kubernetes Deployment sets) as far as
qdrant-client goes without a Qdrant server (none installable here):

- the index layout a server gets (one collection, keyword payload indexes, every search
  filtered on run and scope) runs on qdrant-client's own local engine, which evaluates the same
  filters: scopes stay apart, a re-added sample overwrites its point;
- the settings build a remote client with the URL and API key, and pick the NATS KV lease that
  makes several replicas safe;
- what goes over the wire: a loopback HTTP listener records the request the client makes (path,
  `api-key` header) and answers as an unavailable server would (503), or nothing listens: both
  are retryable (the sample waits; a Qdrant pod moved by a drain rejects nothing); a 401 (wrong
  key) is not.
Not covered (docs/kubernetes.md): a real server's behaviour — its payload index speed, its
responses beyond status codes, concurrent upserts from replicas."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import numpy as np
import pytest
from pydantic import SecretStr
from qdrant_client import AsyncQdrantClient
from qdrant_client.async_qdrant_remote import AsyncQdrantRemote
from qdrant_client.http.exceptions import UnexpectedResponse

from services.dedup.kv import KvLease
from services.dedup.main import DedupSettings, build_lock, open_index
from shared.errors import is_retryable
from shared.runtime.local import free_port
from shared.similarity.index import IndexedSample, IndexUnavailable, ScopeLayout, SimilarityIndex

DIM = 8


class Embedder:
    """Only what open_index reads."""

    name = "static-test"
    dim = DIM


def vector(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=DIM).astype(np.float32)


async def test_the_server_layout_keeps_runs_and_scopes_apart_on_one_collection() -> None:
    index = SimilarityIndex(
        AsyncQdrantClient(location=":memory:"), DIM, "static-test", ScopeLayout.FILTER
    )
    try:
        assert index.collection("run-a", "s1") == index.collection("run-b", "s2")
        for run, scope, sample, seed in [
            ("run-a", "s1", "a1", 1),
            ("run-a", "s2", "a2", 1),  # the same vector in another scope
            ("run-b", "s1", "b1", 1),  # and in another run
            ("run-a", "s1", "a3", 2),
        ]:
            item = IndexedSample(sample, run, scope, sql=f"SELECT {seed}")
            await index.add(item, vector(seed), vector(seed))
        found = await index.nearest("sql", vector(1), "run-a", "s1", limit=5)
        assert [n.sample_id for n in found] == ["a1", "a3"]
        assert found[0].cosine == pytest.approx(1.0, abs=1e-5)
        await index.add(IndexedSample("a1", "run-a", "s1", sql="SELECT 9"), vector(3))
        assert await index.count("run-a", "s1") == 2  # overwritten, not added
        again = await index.nearest("sql", vector(3), "run-a", "s1", limit=1)
        assert again[0].sample_id == "a1" and again[0].sql == "SELECT 9"
        assert await index.nearest("sql", vector(1), "run-c", "s1", limit=5) == []
    finally:
        await index.close()


def test_settings_with_a_url_open_a_remote_client_and_the_kv_lease() -> None:
    settings = DedupSettings(qdrant_url="http://qdrant:6333", qdrant_api_key=SecretStr("k"))
    index = open_index(settings, Embedder())  # type: ignore[arg-type]
    assert index.layout is ScopeLayout.FILTER
    remote = index.client._client  # qdrant-client's remote transport, not its local engine
    assert isinstance(remote, AsyncQdrantRemote)
    assert remote._host == "qdrant" and remote._port == 6333 and remote._api_key == "k"
    assert isinstance(build_lock(settings, kv=None), KvLease)  # type: ignore[arg-type]
    asyncio.run(index.close())


@asynccontextmanager
async def http_listener(status: int) -> AsyncIterator[tuple[int, list[bytes]]]:
    """Answers every request with `status` and keeps the request heads it received."""
    heads: list[bytes] = []

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        heads.append(head)
        body = b'{"status": {"error": "test listener"}, "time": 0}'
        writer.write(
            f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1], heads
    finally:
        server.close()
        await server.wait_closed()


def server_index(port: int) -> SimilarityIndex:
    settings = DedupSettings(
        qdrant_url=f"http://127.0.0.1:{port}", qdrant_api_key=SecretStr("secret-key")
    )
    return open_index(settings, Embedder())  # type: ignore[arg-type]


async def test_an_unavailable_server_is_a_retry_and_the_key_goes_over_the_wire() -> None:
    async with http_listener(503) as (port, heads):
        index = server_index(port)
        with pytest.raises(IndexUnavailable) as raised:
            await index.nearest("sql", vector(1), "run-a", "s1", limit=3)
        await index.close()
    assert is_retryable(raised.value)
    request = next(h for h in heads if b"/collections/" in h).decode().lower()
    assert request.startswith(f"get /collections/{index.base}/exists")
    assert "api-key: secret-key" in request


async def test_no_server_listening_is_a_retry() -> None:
    index = server_index(free_port())
    with pytest.raises(IndexUnavailable) as raised:
        await index.add(IndexedSample("a1", "run-a", "s1", sql="SELECT 1"), vector(1))
    await index.close()
    assert is_retryable(raised.value)


async def test_a_wrong_api_key_is_not_retried() -> None:
    async with http_listener(401) as (port, _):
        index = server_index(port)
        with pytest.raises(UnexpectedResponse) as raised:
            await index.nearest("sql", vector(1), "run-a", "s1", limit=3)
        await index.close()
    assert not is_retryable(raised.value)
