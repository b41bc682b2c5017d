"""Names of people and companies from Faker, in the locale of the row's country.

A row's place (city, country) comes from the curated list of real cities in `rows.py`; the
person or company in that row gets a name from Faker's provider for that country, so a winery
in Finland is run by a Finnish name and a customer in Lyon has a French one. Faker (maintained,
locale-aware) replaces hand-written name lists. Text is folded to ASCII: accented letters sort
and compare differently under SQLite's binary, PostgreSQL's and MySQL's collations.
"""

from __future__ import annotations

import random
import unicodedata
from functools import cache

from faker import Faker

__all__ = ["LOCALE_BY_COUNTRY", "company_name", "person_name", "seeded_faker", "to_ascii"]

# Faker locales whose names are in Latin script, by the English country name of rows.py.
LOCALE_BY_COUNTRY: dict[str, str] = {
    "Portugal": "pt_PT",
    "Spain": "es_ES",
    "France": "fr_FR",
    "Germany": "de_DE",
    "Italy": "it_IT",
    "Austria": "de_AT",
    "Switzerland": "de_CH",
    "Netherlands": "nl_NL",
    "Belgium": "nl_BE",
    "Ireland": "en_IE",
    "United Kingdom": "en_GB",
    "Norway": "no_NO",
    "Sweden": "sv_SE",
    "Denmark": "da_DK",
    "Finland": "fi_FI",
    "Poland": "pl_PL",
    "Czechia": "cs_CZ",
    "Canada": "en_CA",
    "United States": "en_US",
    "Mexico": "es_MX",
    "Colombia": "es_CO",
    "Peru": "es_ES",
    "Chile": "es_CL",
    "Argentina": "es_AR",
    "Brazil": "pt_BR",
    "Kenya": "en_KE",
    "Nigeria": "en_NG",
    "Ghana": "tw_GH",
    "Turkey": "tr_TR",
    "India": "en_IN",
    "Singapore": "en_US",
    "Australia": "en_AU",
    "New Zealand": "en_NZ",
}
_FALLBACK = "en_US"
# Letters NFKD does not decompose into an ASCII base letter.
_FOLD = str.maketrans(
    {
        "ı": "i",
        "ł": "l",
        "Ł": "L",
        "ø": "o",
        "Ø": "O",
        "æ": "ae",
        "Æ": "Ae",
        "ß": "ss",
        "đ": "d",
        "Đ": "D",
        "œ": "oe",
        "Œ": "Oe",
        "þ": "th",
        "ð": "d",
    }
)


# Only the providers names come from. Faker's default builds all ~25 of them for a locale and
# lists each provider's locale folder on disk to do it (1.3 s CPU for the 30 locales, paid by
# every generator process); these two give the same names from the same seed (a test checks).
NAME_PROVIDERS = ["faker.providers.company", "faker.providers.person"]


@cache
def _faker(locale: str) -> Faker:
    return Faker(locale, providers=NAME_PROVIDERS)


def _seeded(country: str | None, rng: random.Random) -> Faker:
    fake = _faker(LOCALE_BY_COUNTRY.get(country or "", _FALLBACK))
    # Seeded from the row generator's stream: the same schema variant gives the same names.
    fake.seed_instance(rng.getrandbits(32))
    return fake


@cache
def _full_faker(locale: str) -> Faker:
    return Faker(locale)  # every provider: places, streets, colours, text (one locale: cheap)


def seeded_faker(rng: random.Random, country: str | None = None) -> Faker:
    """Faker with every provider in the country's locale (en_US without one), seeded from
    `rng`: for values of any kind, not only names (seed columns nobody gave examples of)."""
    fake = _full_faker(LOCALE_BY_COUNTRY.get(country or "", _FALLBACK))
    fake.seed_instance(rng.getrandbits(32))
    return fake


def to_ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return "".join(ch for ch in folded if ch.isascii()).replace("\\", "")


# Quotes in values would need escaping in every question and literal: such names are redrawn.
_REDRAWS = 8


def person_name(country: str | None, rng: random.Random) -> str:
    fake = _seeded(country, rng)
    for _ in range(_REDRAWS):
        name = to_ascii(f"{fake.first_name()} {fake.last_name()}")
        if "'" not in name:
            break
    return name.replace("'", "")


def company_name(country: str | None, rng: random.Random) -> str:
    fake = _seeded(country, rng)
    for _ in range(_REDRAWS):
        name = to_ascii(fake.company())[:100]
        if "'" not in name:
            break
    return name.replace("'", "")
