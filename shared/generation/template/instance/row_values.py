"""The values a row is made of, apart from the filling of a table (`rows.py`): the curated
places and e-mail hosts, closed lists, code patterns, numbers in a column's range and dates in
the column's format."""

from __future__ import annotations

import random
import re
from datetime import date, datetime, time, timedelta

from proto.sample import Scalar
from shared.generation.template.schema.schema_model import Column, ColumnType, ValueKind

_CITY_TEXT = """Lisbon:Portugal Porto:Portugal Madrid:Spain Valencia:Spain Lyon:France
Paris:France Berlin:Germany Hamburg:Germany Munich:Germany Milan:Italy Turin:Italy Vienna:Austria
Zurich:Switzerland Amsterdam:Netherlands Rotterdam:Netherlands Brussels:Belgium Dublin:Ireland
Manchester:United_Kingdom Leeds:United_Kingdom Edinburgh:United_Kingdom Oslo:Norway
Stockholm:Sweden Copenhagen:Denmark Helsinki:Finland Warsaw:Poland Krakow:Poland Prague:Czechia
Toronto:Canada Vancouver:Canada Chicago:United_States Denver:United_States Austin:United_States
Seattle:United_States Boston:United_States Atlanta:United_States Mexico_City:Mexico
Monterrey:Mexico Bogota:Colombia Lima:Peru Santiago:Chile Sao_Paulo:Brazil Curitiba:Brazil
Nairobi:Kenya Lagos:Nigeria Accra:Ghana Istanbul:Turkey Mumbai:India Pune:India Bangalore:India
Singapore:Singapore Sydney:Australia Melbourne:Australia Auckland:New_Zealand"""
CITIES: tuple[tuple[str, str], ...] = tuple(
    (pair.split(":")[0].replace("_", " "), pair.split(":")[1].replace("_", " "))
    for pair in _CITY_TEXT.split()
)

EMAIL_HOSTS = ("example.com", "mail.example.org", "inbox.example.net")
DEFAULT_YEARS = (2019, 2025)


def write_date(column: Column, day: date, rng: random.Random) -> str:
    """The date as the column writes it: ISO, or a seed's format with a time of day."""
    if not column.date_format:
        return day.isoformat()
    moment = datetime.combine(day, time()) + timedelta(seconds=rng.randint(0, 86_399))
    return moment.strftime(column.date_format)


def closed_pool(column: Column) -> list[str] | None:
    """The closed list a column draws from, if any (deduplicated, file order kept); a seed
    column Faker completes has its pool in the filler (`rows._TableFiller._fake_pool`)."""
    if column.fake is not None:
        return None
    if column.values and column.kind not in (ValueKind.EMAIL, ValueKind.CODE, ValueKind.DATE):
        return list(dict.fromkeys(column.values))
    if column.kind is ValueKind.CITY:
        return [c for c, _ in CITIES]
    return None


def skew(size: int) -> list[float]:
    """Zipf-like weights: earlier entries are more common, so GROUP BY results differ."""
    return [1.0 / (i + 1) ** 0.8 for i in range(size)]


def fill_pattern(pattern: str, rng: random.Random) -> str:
    return "".join(
        str(rng.randint(0, 9)) if ch == "#" else chr(rng.randint(65, 90)) if ch == "?" else ch
        for ch in pattern
    )


def draw_number(column: Column, rng: random.Random) -> Scalar:
    kind = column.kind
    defaults = {
        ValueKind.MONEY: (5.0, 500.0),
        ValueKind.QUANTITY: (1.0, 20.0),
        ValueKind.RATING: (1.0, 5.0),
        ValueKind.PERCENT: (0.0, 100.0),
        ValueKind.YEAR: (1990.0, 2024.0),
        ValueKind.MEASURE: (1.0, 1000.0),
    }
    low, high = defaults.get(kind, (1.0, 100.0))
    low = column.low if column.low is not None else low
    high = column.high if column.high is not None else high
    if column.type is ColumnType.INTEGER:
        if kind is ValueKind.RATING:  # ratings lean positive, as real reviews do
            return round(rng.triangular(low, high, high))
        # Counts lean small (few goals, few refills, modest stock), with a long tail.
        return round(rng.triangular(low, high, low + (high - low) / 4))
    if kind is ValueKind.MONEY and low > 0:
        # Log-uniform: many small amounts, a few large ones, like real prices and invoices.
        amount = low * float((high / low) ** rng.random())
        return round(amount, 0 if amount >= 1000 else 2)
    if kind is ValueKind.RATING:
        return round(rng.triangular(low, high, high), 1)
    return round(rng.uniform(low, high), 2)


def text_key_prefix(column: str, noun: str) -> str:
    """Three capitals naming a text key's codes: its column's words but 'code'/'id' (breed_code
    -> 'BRE'), else the table's noun (country.Code -> 'COU')."""
    parts = [p for p in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])", column) if p.lower()
             not in ("code", "id", "key", "no")]  # fmt: skip
    letters = re.sub(r"[^A-Za-z]", "", parts[0] if parts else noun)
    return (letters[:3] or "KEY").upper()
