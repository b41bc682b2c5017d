"""The country a seed schema's data belongs to, where its own description says so.

BIRD's `financial` schema describes "district-level data for Czech Republic": its people,
companies, towns and streets read as Czech, not as Faker's en_US defaults. The country is the
one country the schema's comments say the data is in, for or from (Faker's list of country
names, a few common aliases), and only when it has a Faker locale (`people.LOCALE_BY_COUNTRY`):
a schema that names two or none keeps en_US.
"""

from __future__ import annotations

import re
from functools import cache

from faker.providers.address.en_US import Provider as AddressProvider

from shared.generation.template.people import LOCALE_BY_COUNTRY

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
