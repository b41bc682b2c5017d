"""Text embeddings for the report: a small interface and a deterministic offline default.

The report needs vectors for two things: the mean pairwise cosine of questions (Turing's HITL) and
the Vendi score and the embedding part of the hybrid similarity (SQL-Factory). Any object with a
`name` and an `embed(texts)` returning one L2-normalised row per text fits `Embedder`, so a real
sentence-embedding model drops in by passing it as `embedder=` (see docs/report.md).

The default, `HashedTfidfEmbedder` ("tfidf-char"), needs no model and no network: TF-IDF over
character 3-5-grams taken inside words (scikit-learn's `char_wb`), hashed with a sign into 512
dimensions. IDF is fitted on the texts of one call, so each dataset is weighed on its own.
"""

from __future__ import annotations

import math
import re
import zlib
from collections import Counter
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

# float64 here; the sentence models of shared.similarity return float32.
Matrix = npt.NDArray[np.floating[Any]]

_WORD = re.compile(r"\w+", re.UNICODE)


@runtime_checkable
class Embedder(Protocol):
    """Maps texts to vectors: shape (len(texts), dims), each row of norm 1 (or 0 for an empty
    text). `name` goes into the report's JSON so figures from different models are not mixed."""

    @property
    def name(self) -> str: ...

    def embed(self, texts: Sequence[str]) -> Matrix: ...


class HashedTfidfEmbedder:
    """TF-IDF over hashed character n-grams: deterministic across runs, machines and processes."""

    def __init__(self, dims: int = 512, min_n: int = 3, max_n: int = 5) -> None:
        if dims < 2 or not 1 <= min_n <= max_n:
            raise ValueError("need dims >= 2 and 1 <= min_n <= max_n")
        self.dims = dims
        self.min_n = min_n
        self.max_n = max_n

    @property
    def name(self) -> str:
        return TFIDF_CHAR

    def extract_grams(self, text: str) -> Counter[str]:
        """Character n-grams of each lowercased word padded with spaces (" ab " gives " ab")."""
        grams: Counter[str] = Counter()
        for word in _WORD.findall(text.lower()):
            padded = f" {word} "
            for n in range(self.min_n, self.max_n + 1):
                if len(padded) < n:
                    break
                grams.update(padded[i : i + n] for i in range(len(padded) - n + 1))
        return grams

    def embed(self, texts: Sequence[str]) -> Matrix:
        counts = [self.extract_grams(text) for text in texts]
        document_frequency: Counter[str] = Counter()
        for grams in counts:
            document_frequency.update(grams.keys())
        total = len(texts)
        # Smoothed IDF as scikit-learn's TfidfVectorizer: log((1 + n) / (1 + df)) + 1.
        idf = {g: math.log((1 + total) / (1 + df)) + 1.0 for g, df in document_frequency.items()}
        slots = {g: self._slot(g) for g in document_frequency}
        rows: list[int] = []
        buckets: list[int] = []
        weights: list[float] = []
        for row, grams in enumerate(counts):
            for gram, count in grams.items():
                bucket, sign = slots[gram]
                rows.append(row)
                buckets.append(bucket)
                # Sublinear TF: a word repeated ten times is not ten times as telling.
                weights.append(sign * (1.0 + math.log(count)) * idf[gram])
        matrix = np.zeros((total, self.dims), dtype=np.float64)
        np.add.at(
            matrix, (np.array(rows, dtype=np.int64), np.array(buckets, dtype=np.int64)), weights
        )
        return normalise_rows(matrix)

    def _slot(self, gram: str) -> tuple[int, float]:
        # CRC32, not hash(): Python salts str hashes per process, and figures must be stable.
        code = zlib.crc32(gram.encode("utf-8"))
        # The sign bit keeps collisions from adding up: unrelated texts stay near cosine 0.
        return (code >> 1) % self.dims, (1.0 if code & 1 else -1.0)


def normalise_rows(matrix: Matrix) -> Matrix:
    """Scale each row to norm 1; all-zero rows stay zero."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    out: Matrix = np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)
    return out


TFIDF_CHAR = "tfidf-char"


def default_embedder() -> Embedder:
    """The embedder the report uses when none is given."""
    return HashedTfidfEmbedder()


def load_report_embedder(name: str) -> Embedder:
    """`tfidf-char`, or a sentence-embedding model of shared.similarity by its name
    (`minilm-static`, `minilm`): those objects already have `name` and `embed`."""
    if name == TFIDF_CHAR:
        return HashedTfidfEmbedder()
    # Imported only when asked for: the models load PyTorch or model2vec.
    from shared.similarity.embedders import load_embedder

    return load_embedder(name)
