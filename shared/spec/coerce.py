"""Small helpers the spec parser and checks share: problem lists and typed values."""

from __future__ import annotations

import math
import re

from shared.spec.model import Value, ValueType

NAME = re.compile(r"^[a-z][a-z0-9_]*$")
INTEGER_TEXT = re.compile(r"^-?\d+$")
TYPE_WORDS = {
    ValueType.STR: "text",
    ValueType.INT: "an integer",
    ValueType.FLOAT: "a number",
    ValueType.BOOL: "a boolean",
}


class Problems(list[str]):
    """Every problem found, each prefixed with where it is in the document."""

    def add(self, where: str, message: str) -> None:
        self.append(f"{where}: {message}")


def as_number(raw: object) -> float | None:
    """A finite int or float as float; None for anything else (booleans included)."""
    if isinstance(raw, int | float) and not isinstance(raw, bool) and math.isfinite(raw):
        return float(raw)
    return None


def coerce_value(raw: object, value_type: ValueType) -> Value:
    """A document value (or JSON key text) as a typed value; ValueError says why not.

    JSON object keys are always text, so "2" and "true" must read back as 2 and True.
    """
    if value_type is ValueType.STR:
        if isinstance(raw, bool):
            raise ValueError(f"{raw!r} was read as a boolean (YAML yes/no/true/false); quote it")
        if isinstance(raw, str | int | float):
            return str(raw)
    elif value_type is ValueType.INT:
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        if isinstance(raw, float) and raw.is_integer():
            return int(raw)
        if isinstance(raw, str) and INTEGER_TEXT.match(raw.strip()):
            return int(raw)
    elif value_type is ValueType.BOOL:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
            return raw.strip().lower() == "true"
    elif (number := as_number(raw)) is not None:
        return number
    raise ValueError(f"{raw!r} is not {TYPE_WORDS[value_type]}")
