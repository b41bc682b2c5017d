"""The dataset formats `load_dataset` reads: their own module, so that a CLI option can list
them without importing the loaders (pydantic, sqlglot)."""

from __future__ import annotations

from enum import StrEnum


class DatasetFormat(StrEnum):
    AUTO = "auto"
    GRETEL = "gretel"
    SQLSYNTH = "sqlsynth"
    BIRD = "bird"
    SPIDER = "spider"
    JSONL = "jsonl"
    JSON = "json"
    CSV = "csv"
