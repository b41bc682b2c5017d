"""The role of a column for the operators: bookkeeping columns (creation and update dates,
record status, external references) are valid but nobody asks about them; an operator reads one
only when the query's tables offer nothing else of the kind it needs.

The template engine knows its own filler columns (`Column.filler`), but an evolved parent is
read back from its DDL (and seeds and other datasets have no such flag), so the role is read
from the name, as the sense checks read identifiers (`shared.sense.roles`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TypeVar

_BOOKKEEPING = re.compile(
    r"^(?:(?:created|updated|modified|inserted|deleted|changed|last_updated|last_modified)"
    r"_(?:on|at|date|time|ts|by)|date_(?:created|updated|modified)|record_status|row_status|"
    r"external_ref|row_version|etl_\w+)$"
)

T = TypeVar("T")


def is_bookkeeping(column: str) -> bool:
    return bool(_BOOKKEEPING.match(column.lower()))


def prefer_real(items: Sequence[T], name_of: Callable[[T], str]) -> list[T]:
    """The items whose column is not bookkeeping, or all of them when only such qualify."""
    real = [item for item in items if not is_bookkeeping(name_of(item))]
    return real or list(items)
