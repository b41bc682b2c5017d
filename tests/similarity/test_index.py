"""The Qdrant wrapper: scoping per run and schema, both layouts, persistence, idempotence."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from shared.similarity.embedders import Embedder
from shared.similarity.index import IndexedSample, ScopeLayout, SimilarityIndex

SQL = [
    "SELECT name FROM customers WHERE city = 'Paris'",
    "SELECT COUNT(*) FROM orders",
    "SELECT product, SUM(total) FROM orders GROUP BY product",
]


def sample(sample_id: str, sql: str, run_id: str = "r1", scope: str = "s1") -> IndexedSample:
    return IndexedSample(sample_id=sample_id, run_id=run_id, scope=scope, sql=sql)


@pytest.mark.filterwarnings("ignore:Payload indexes have no effect")
@pytest.mark.parametrize("layout", list(ScopeLayout))
async def test_search_stays_within_its_run_and_schema(
    static_embedder: Embedder, layout: ScopeLayout
) -> None:
    vectors = static_embedder.embed(SQL)
    opened = SimilarityIndex.open(dim=static_embedder.dim, model=static_embedder.name)
    # The filter layout is the server's; local mode evaluates the same filters, only slower.
    index = SimilarityIndex(opened.client, opened.dim, static_embedder.name, layout)
    try:
        await index.add(sample("a", SQL[0]), vectors[0])
        await index.add(sample("b", SQL[1], scope="s2"), vectors[1])
        await index.add(sample("c", SQL[2], run_id="r2"), vectors[2])
        found = await index.nearest("sql", vectors[0], "r1", "s1", limit=10)
        assert [n.sample_id for n in found] == ["a"]
        assert found[0].cosine == pytest.approx(1.0, abs=1e-5)
        assert found[0].sql == SQL[0]
        assert await index.nearest("sql", vectors[2], "r1", "s3", limit=10) == []
        assert [n.sample_id for n in await index.nearest("sql", vectors[1], "r1", "s2", 5)] == ["b"]
    finally:
        await index.close()


async def test_a_sample_never_finds_itself_and_readding_is_idempotent(
    static_embedder: Embedder,
) -> None:
    vectors = static_embedder.embed(SQL)
    index = SimilarityIndex.open(dim=static_embedder.dim, model=static_embedder.name)
    try:
        for i, sql in enumerate(SQL):
            await index.add(sample(f"s{i}", sql), vectors[i])
        await index.add(sample("s0", SQL[0]), vectors[0])  # a redelivered sample
        assert await index.count("r1", "s1") == len(SQL)
        found = await index.nearest("sql", vectors[0], "r1", "s1", limit=2, exclude="s0")
        assert [n.sample_id for n in found] != [] and "s0" not in {n.sample_id for n in found}
        assert len(found) == 2
    finally:
        await index.close()


async def test_questions_are_optional_per_point(static_embedder: Embedder) -> None:
    vectors = static_embedder.embed(["How many orders are there?", SQL[1], SQL[0]])
    index = SimilarityIndex.open(dim=static_embedder.dim, model=static_embedder.name)
    try:
        await index.add(sample("with", SQL[1]), vectors[1], vectors[0])
        await index.add(sample("without", SQL[0]), vectors[2])
        by_question = await index.nearest("question", vectors[0], "r1", "s1", limit=5)
        assert [n.sample_id for n in by_question] == ["with"]
    finally:
        await index.close()


async def test_the_local_index_survives_a_restart(
    static_embedder: Embedder, tmp_path: Path
) -> None:
    vectors = static_embedder.embed(SQL)
    path = tmp_path / "qdrant"
    index = SimilarityIndex.open(dim=static_embedder.dim, model=static_embedder.name, path=path)
    await index.add(sample("kept", SQL[2]), vectors[2])
    await index.close()
    reopened = SimilarityIndex.open(dim=static_embedder.dim, model=static_embedder.name, path=path)
    try:
        found = await reopened.nearest("sql", vectors[2], "r1", "s1", limit=1)
        assert [n.sample_id for n in found] == ["kept"]
        assert np.isclose(found[0].cosine, 1.0, atol=1e-5)
    finally:
        await reopened.close()


async def test_a_second_client_cannot_open_the_same_local_folder(
    static_embedder: Embedder, tmp_path: Path
) -> None:
    """Why several replicas need a Qdrant server: local mode locks its folder."""
    first = SimilarityIndex.open(dim=static_embedder.dim, model="m", path=tmp_path)
    try:
        with pytest.raises(RuntimeError, match="already accessed"):
            SimilarityIndex.open(dim=static_embedder.dim, model="m", path=tmp_path)
    finally:
        await first.close()


KILLED_WRITER = """
import asyncio, os, signal, sys
from pathlib import Path
import numpy as np
from shared.similarity.index import IndexedSample, SimilarityIndex

async def main() -> None:
    index = SimilarityIndex.open(dim=8, model="m", path=Path(sys.argv[1]))
    vector = np.ones(8, dtype=np.float32) / np.sqrt(8)
    for i in range(20):
        await index.add(IndexedSample(f"s{i}", "r1", "s1", "SELECT 1"), vector)
    os.kill(os.getpid(), signal.SIGKILL)  # no close, no flush: a crash

asyncio.run(main())
"""


async def test_every_acknowledged_add_survives_a_crash(tmp_path: Path) -> None:
    """A dedup process killed with SIGKILL: its adds are on disk and the folder is free again."""
    path = tmp_path / "qdrant"
    repo = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [sys.executable, "-c", KILLED_WRITER, str(path)], cwd=repo, capture_output=True
    )
    assert proc.returncode == -9, proc.stderr.decode()[-500:]
    reopened = SimilarityIndex.open(dim=8, model="m", path=path)
    try:
        assert await reopened.count("r1", "s1") == 20
    finally:
        await reopened.close()
