"""Both models load from local files only, agree on what is close, and are safe across threads."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from shared.similarity.embedders import (
    FULL,
    STATIC,
    Embedder,
    distilled_model_dir,
    load_embedder,
)

CLOSE = ("How many singers do we have?", "What is the total number of singers?")
FAR = "Show the stadium with the largest capacity."


@pytest.fixture(params=[STATIC, FULL])
def embedder(
    request: pytest.FixtureRequest, static_embedder: Embedder, full_embedder: Embedder
) -> Embedder:
    return static_embedder if request.param == STATIC else full_embedder


def test_rows_are_normalised_and_paraphrases_are_closer(embedder: Embedder) -> None:
    vectors = embedder.embed([*CLOSE, FAR])
    assert vectors.shape == (3, embedder.dim) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    cosine = vectors @ vectors.T
    assert cosine[0, 1] > cosine[0, 2] and cosine[0, 1] > cosine[1, 2]
    assert embedder.embed([]).shape == (0, embedder.dim)


def test_models_load_offline_from_the_wheel(full_embedder: Embedder) -> None:
    assert os.environ.get("HF_HUB_OFFLINE") == "1"
    assert full_embedder.name == FULL and full_embedder.dim == 384


def test_the_distilled_model_is_cached_and_reused(static_embedder: Embedder) -> None:
    cached = distilled_model_dir(build=False)
    weights = cached / "model.safetensors"
    assert weights.is_file()
    before = weights.stat().st_mtime_ns
    assert distilled_model_dir() == cached and weights.stat().st_mtime_ns == before
    assert static_embedder.dim == 256


def test_a_missing_cache_is_reported_without_distilling(tmp_path: Path) -> None:
    target = distilled_model_dir(tmp_path, build=False)
    assert not target.exists()


def test_concurrent_calls_from_threads_are_safe(static_embedder: Embedder) -> None:
    """The service embeds off the event loop; model2vec's tokenizer is not re-entrant."""
    texts = [f"How many orders did customer {i} place?" for i in range(64)]
    expected = static_embedder.embed(texts)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda t: static_embedder.embed([t])[0], texts))
    assert np.allclose(np.stack(results), expected, atol=1e-6)


def test_an_unknown_model_name_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown embedding model"):
        load_embedder("word2vec")
