"""The country a seed schema's data belongs to, where its own description says so.

BIRD's `financial` schema describes "district-level data for Czech Republic": its people,
companies, towns and streets read as Czech, not as Faker's en_US defaults. The country is the
one country the schema's comments say the data is in, for or from (Faker's list of country
names, a few common aliases), and only when it has a Faker locale (`people.LOCALE_BY_COUNTRY`):
a schema that names two or none keeps en_US. Where the comments name none, the schema's values
may: a currency column whose codes only one of those countries pays in (BIRD's
debit_card_specializing holds 'CZK' next to 'EUR': Czechia), looked up in Babel's CLDR data
(`get_territory_currencies`) rather than a hand-written table.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from functools import cache

from babel import Locale
from babel.numbers import get_territory_currencies
from faker.providers.address.en_US import Provider as AddressProvider

from proto.sample import Scalar
from shared.generation.template.schema.people import LOCALE_BY_COUNTRY
from shared.generation.template.schema.seed_words import words

# Names the comments use for a country `people.LOCALE_BY_COUNTRY` knows by another name.
_ALIASES = {
    "Czech Republic": "Czechia",
    "USA": "United States",
    "United States of America": "United States",
    "UK": "United Kingdom",
    "Great Britain": "United Kingdom",
}
_COMMENT = re.compile(r"--([^\n]*)|/\*(.*?)\*/", re.DOTALL)
_APOSTROPHE = re.compile(r"(?<=\w)'(?=\w)")
_QUOTED = re.compile(r"'[^'\n]*'")


@cache
def _country_pattern() -> re.Pattern[str]:
    # Faker writes some as 'Slovakia (Slovak Republic)': the name before the bracket counts too.
    listed = [str(n) for n in AddressProvider.countries]
    names = {*listed, *(n.split(" (")[0] for n in listed), *LOCALE_BY_COUNTRY, *_ALIASES}
    # Longest first, so 'Czech Republic' wins over a shorter name inside it.
    ordered = sorted(names, key=len, reverse=True)
    # Only where the data is said to be of the country ("data for Czech Republic", "banks in
    # Germany"), not any mention ("available only outside the USA").
    names_re = "|".join(re.escape(n) for n in ordered)
    return re.compile(r"\b(?:in|for|from|of|across)\s+(?:the\s+)?(" + names_re + r")\b")


def infer_country(schema_text: str) -> str | None:
    """The one country (a key of LOCALE_BY_COUNTRY) the schema's comments name, else None.
    Quoted sample values are not read: they are data, not the schema's description."""
    comments = "\n".join(a or b for a, b in _COMMENT.findall(schema_text))
    # Possessives first ("card's"), so they do not pair with the quote of a sample value.
    prose = _QUOTED.sub(" ", _APOSTROPHE.sub("", comments))
    named = {_ALIASES.get(m, m) for m in _country_pattern().findall(prose)}
    if len(named) != 1:
        return None
    country = named.pop()
    return country if country in LOCALE_BY_COUNTRY else None


# Currencies as of a fixed day, so a schema's locale does not change with the calendar.
_CURRENCY_DAY = date(2024, 1, 1)


@cache
def _countries_by_currency() -> dict[str, frozenset[str]]:
    """ISO 4217 code -> the countries of LOCALE_BY_COUNTRY that pay in it (CLDR, via Babel)."""
    names = {name: code for code, name in Locale("en").territories.items()}
    found: dict[str, set[str]] = {}
    for country, locale in LOCALE_BY_COUNTRY.items():
        territory = names.get(country) or locale.rpartition("_")[2]
        for currency in get_territory_currencies(territory, start_date=_CURRENCY_DAY):
            found.setdefault(currency, set()).add(country)
    return {currency: frozenset(countries) for currency, countries in found.items()}


def country_from_values(columns: Iterable[tuple[tuple[str, str], list[Scalar]]]) -> str | None:
    """The one country the values of the schema's currency columns point at ('CZK' -> Czechia;
    'EUR' and 'USD' name no single one of ours beside another), else None."""
    by_currency = _countries_by_currency()
    named: set[str] = set()
    for (_, column), values in columns:
        if "currency" not in words(column) and "curr" not in words(column):
            continue
        for value in values:
            countries = by_currency.get(str(value).strip().upper(), frozenset())
            if len(countries) == 1:
                named |= countries
    return named.pop() if len(named) == 1 else None
