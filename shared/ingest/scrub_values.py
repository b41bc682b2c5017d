"""The ingest scrubber applied to single values sampled into a fixture (seed rows, a database).

`scrub.classify_value` decides for SQL literals in logs (e-mails, card and phone numbers, long
free text). A value sampled into generated rows needs three more kinds that a query literal
rarely holds but a table often does: IBANs, secrets (API keys, bearer tokens, JWTs) and a person's
full name inside text. Names are recognised by Faker's first- and last-name lists (a maintained
list in many locales, the same library that generates the replacement names), so "Grace
Hopper" counts and "Rose Garden" does not.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import import_module

from shared.ingest.scrub import (
    CARD,
    DEFAULT_POLICY,
    EMAIL,
    PHONE,
    TEXT,
    ScrubPolicy,
    classify_value,
)

IBAN = "<iban>"
TOKEN = "<token>"
NAME = "<name>"
# A first or last name alone, in a column that holds one ('Nora' | 'Stoltenberg').
NAME_PART = "<name_part>"
# Every placeholder either scrubber writes: a value equal to one was personal before ingest.
PLACEHOLDERS = frozenset({EMAIL, PHONE, CARD, TEXT, IBAN, TOKEN, NAME, NAME_PART})

# ISO 13616: two letters, two check digits, 11-30 alphanumerics (printed in groups of four).
_IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
# Secrets by their documented prefixes (Stripe, GitHub, Slack, AWS, OpenAI/Anthropic), a JWT's
# three base64url parts, or "Bearer <token>"; a bare hex id is left alone (logs are full of them).
_TOKEN_RE = re.compile(
    r"\b(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{10,}"
    r"|\bgh[pousr]_[A-Za-z0-9]{20,}"
    r"|\bxox[abprs]-[A-Za-z0-9\-]{10,}"
    r"|\bAKIA[0-9A-Z]{16}\b"
    r"|\bsk-[A-Za-z0-9_\-]{20,}"
    r"|\beyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"
    r"|\bBearer\s+[A-Za-z0-9._\-]{16,}"
)
_CAPITALISED_PAIR = re.compile(r"\b([A-Z][a-z]+)\s+(?:[A-Z]\.\s+)?([A-Z][a-zA-Z'\-]+)\b")
# Locales whose name lists are Latin-script, as the fixtures' own locales (people.py).
_NAME_LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pt_BR", "pl_PL")


def iban_valid(text: str) -> bool:
    """The ISO 7064 mod-97 check every IBAN passes (a random code of that shape rarely does)."""
    compact = text.replace(" ", "")
    moved = compact[4:] + compact[:4]
    digits = "".join(str(int(ch, 36)) for ch in moved)
    return int(digits) % 97 == 1


@lru_cache(maxsize=1)
def name_lists() -> tuple[frozenset[str], frozenset[str]]:
    """(first names, last names) of Faker's person providers, lower-cased."""
    first: set[str] = set()
    last: set[str] = set()
    for locale in _NAME_LOCALES:
        provider = import_module(f"faker.providers.person.{locale}").Provider
        first.update(name.lower() for name in provider.first_names)
        last.update(name.lower() for name in provider.last_names)
    return frozenset(first), frozenset(last)


def has_person_name(text: str) -> bool:
    """A known first name followed by a known last name ("Ada Lovelace", "Maria K. Schmidt")."""
    first, last = name_lists()
    return any(
        m.group(1).lower() in first and m.group(2).lower() in last
        for m in _CAPITALISED_PAIR.finditer(text)
    )


def classify_sample(value: str, policy: ScrubPolicy = DEFAULT_POLICY) -> str | None:
    """The placeholder kind a sampled text value must be replaced by, or None to keep it."""
    if value in PLACEHOLDERS:
        return value
    found = classify_value(value, policy)
    if found is not None:
        return found
    if any(iban_valid(m.group(0)) for m in _IBAN_RE.finditer(value)):
        return IBAN
    if _TOKEN_RE.search(value):
        return TOKEN
    if has_person_name(value):
        return NAME
    return None


_NAME_PARTS = frozenset({"first", "last", "middle", "given", "family", "maiden"})
_NAME_WORDS = frozenset({"fname", "lname", "firstname", "lastname", "surname", "forename"})
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


def is_name_part_column(column: str) -> bool:
    """A column of first or last names (`first_name`, `LastName`, `surname`): no single value
    looks like a full name, but each row puts the person back together, so a sampled row's
    values of such a column are scrubbed whole (`NAME_PART`)."""
    parts = {w.lower() for w in _WORD.findall(column)}
    return bool(parts & _NAME_WORDS) or ("name" in parts and bool(parts & _NAME_PARTS))
