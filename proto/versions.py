"""The envelope version policy: a service reads its own `schema_version` and the previous one
(upgraded on read, so `--resume` works across an upgrade), and refuses newer or unknown ones
with the reason, so they end in the poison file instead of being read as something else.

Upgraders are data: UPGRADES[v] turns a version-v document into a version-v+1 document. A new
version that only adds optional fields needs an upgrader that only bumps the number.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel

from proto.common import SCHEMA_VERSION

ModelT = TypeVar("ModelT", bound=BaseModel)
Upgrade = Callable[[dict[str, Any]], dict[str, Any]]


def bump(document: dict[str, Any]) -> dict[str, Any]:
    return {**document, "schema_version": int(document.get("schema_version", 0)) + 1}


# Version 0 never shipped; the entry keeps the policy's shape exercised by the tests.
UPGRADES: dict[int, Upgrade] = {SCHEMA_VERSION - 1: bump}
READABLE = frozenset({SCHEMA_VERSION, SCHEMA_VERSION - 1})


class UnsupportedVersion(ValueError):
    """A message of a schema version this service cannot read (its reason names both)."""


def decode(model: type[ModelT], body: bytes | str) -> ModelT:
    """Parse a wire message under the version policy (pydantic's ValidationError for bad
    shapes, UnsupportedVersion for a version outside READABLE)."""
    try:
        document = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return model.model_validate_json(body)  # raises pydantic's ValidationError, with detail
    if not isinstance(document, dict):
        return model.model_validate(document)
    version = document.get("schema_version", SCHEMA_VERSION)
    if not isinstance(version, int) or version not in READABLE:
        raise UnsupportedVersion(
            f"schema_version {version!r} is not readable here (this service reads "
            f"{sorted(READABLE)}): upgrade the service or resume with the matching version"
        )
    while document.get("schema_version", SCHEMA_VERSION) < SCHEMA_VERSION:
        document = UPGRADES[int(document["schema_version"])](document)
    return model.model_validate(document)
