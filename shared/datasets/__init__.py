"""Dataset loaders: Gretel, our own output, BIRD mini-dev, Spider and generic JSONL/JSON/CSV."""

from __future__ import annotations

from shared.datasets.loader import DatasetFormat, DatasetReader, load_dataset
from shared.datasets.record import DatasetError, DatasetRecord, LoadError

__all__ = [
    "DatasetError",
    "DatasetFormat",
    "DatasetReader",
    "DatasetRecord",
    "LoadError",
    "load_dataset",
]
