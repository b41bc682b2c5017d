"""Dataset loaders: Gretel, our own output, BIRD mini-dev, Spider and generic JSONL/JSON/CSV.

Names are imported from their module on first use (PEP 562), so that `shared.datasets.formats`
(what a CLI option lists) does not load the loaders and, through them, pydantic and sqlglot.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from proto.lazy import lazy_attributes

if TYPE_CHECKING:
    from shared.datasets.formats import DatasetFormat
    from shared.datasets.loader import DatasetReader, load_dataset
    from shared.datasets.record import DatasetError, DatasetRecord, LoadError

_HOMES: dict[str, str] = {
    "DatasetError": "shared.datasets.record",
    "DatasetFormat": "shared.datasets.formats",
    "DatasetReader": "shared.datasets.loader",
    "DatasetRecord": "shared.datasets.record",
    "LoadError": "shared.datasets.record",
    "load_dataset": "shared.datasets.loader",
}


__getattr__ = lazy_attributes(__name__, _HOMES)


__all__ = [
    "DatasetError",
    "DatasetFormat",
    "DatasetReader",
    "DatasetRecord",
    "LoadError",
    "load_dataset",
]
