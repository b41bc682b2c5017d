"""Dates of seed columns: which text columns hold dates, the years they span and the format their
values are written in (ISO dates, timestamps, the seed's own text format)."""

from __future__ import annotations

import re

_ISO_DATE = re.compile(r"^(\d{4})-\d{2}-\d{2}")
# A text date with a time part, as seeds write them ('2008-08-17 00:00:00', '2019-10-10T12:00:00').
_TIMED_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}([ T])(\d{2}:\d{2}:\d{2})(\.\d+)?$")
# How a TIMESTAMP/DATETIME value is written: as PostgreSQL and MySQL print one (digest.py
# normalises their datetimes to this text, which SQLite stores as is).
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"


def looks_like_date(parts: list[str], texts: list[str]) -> bool:
    """ISO-dated examples, or without examples a name that says date."""
    if texts:
        return all(_ISO_DATE.match(t) for t in texts)
    return "date" in parts or "dob" in parts or "birthday" in parts


def year_span(parts: list[str], texts: list[str]) -> tuple[int, int]:
    """The years a date column's values fall in: its examples', else by its name."""
    years = [int(m.group(1)) for t in texts if (m := _ISO_DATE.match(t))]
    if years:
        return min(years), max(max(years), min(years) + 1)
    if {"birth", "dob", "birthday"} & set(parts):
        return 1950, 2005
    return 2019, 2025


def date_format_of(texts: list[str]) -> str:
    """The format of a text date column's values, as its examples write them: "" for ISO
    dates, else the date, the separator and a time that is random, or fixed where every example
    has the same one (European football's '2008-08-17 00:00:00' are all midnight)."""
    timed = [m for t in texts if (m := _TIMED_TEXT.match(t))]
    if not timed or len(timed) < len(texts):
        return ""
    separator = timed[0].group(1)
    times = {m.group(2) for m in timed}
    fractions = {m.group(3) or "" for m in timed}
    clock = times.pop() if len(times) == 1 else "%H:%M:%S"
    fraction = fractions.pop() if len(fractions) == 1 else ""
    return f"%Y-%m-%d{separator}{clock}{fraction}"
