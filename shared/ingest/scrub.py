"""Replace literals that look like personal data with typed placeholders.

Runs on every statement, error message and question before a seed leaves the service. String
literals are found with sqlglot's tokenizer, so only literal values change and the rest of the
text (formatting, identifiers, numbers that make the query executable) stays byte for byte;
text between tokens (comments) and text that does not tokenize (a truncated statement) go
through the regular expressions instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlglot.errors import SqlglotError
from sqlglot.tokenizer_core import Token, TokenType

from shared.sql.feature_parse import get_dialect

EMAIL = "<email>"
PHONE = "<phone>"
CARD = "<card>"
TEXT = "<text>"

_EMAIL_RE = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9._+\-]*@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
)
# 13-19 digits, optionally grouped by spaces or dashes (as cards are printed).
_CARD_RE = re.compile(r"(?<![\d.])\d(?:[ \-]?\d){12,18}(?![\d.])")
# Phone: an optional +, digit groups with separators or parentheses; 7-15 digits in all.
_PHONE_RE = re.compile(r"(?<![\w.])(?:\+|00)?\(?\d{1,4}\)?(?:[ .\-]?\(?\d{2,5}\)?){2,5}(?![\w.])")
_DATE_LIKE = re.compile(
    r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?:[ T].*)?$|^\d{1,2}[-/.]\d{1,2}[-/.]\d{4}$"
)
_STRING_TOKENS = frozenset(
    getattr(TokenType, name)
    for name in (
        "STRING",
        "NATIONAL_STRING",
        "RAW_STRING",
        "HEREDOC_STRING",
        "UNICODE_STRING",
        "BYTE_STRING",
    )
    if hasattr(TokenType, name)
)


@dataclass(frozen=True)
class ScrubPolicy:
    """What counts as free text: more than `max_words` words in one string literal."""

    max_words: int = 12
    # Card-like numbers must start like a card network's number (2-6) to spare long ids
    # (SDSS object ids are 19-digit numbers starting with 1).
    card_first_digits: str = "23456"


DEFAULT_POLICY = ScrubPolicy()


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def is_card_like(text: str, policy: ScrubPolicy = DEFAULT_POLICY) -> bool:
    digits = re.sub(r"[ \-]", "", text)
    return (
        digits.isdigit()
        and 13 <= len(digits) <= 19
        and digits[0] in policy.card_first_digits
        and luhn_valid(digits)
    )


def is_phone_like(text: str) -> bool:
    candidate = text.strip()
    if not _PHONE_RE.fullmatch(candidate) or _DATE_LIKE.match(candidate):
        return False
    digits = sum(char.isdigit() for char in candidate)
    # A bare run of digits is an id or an amount far more often than a phone number.
    separated = any(char in "+() .-" for char in candidate)
    return separated and 7 <= digits <= 15


def classify_value(value: str, policy: ScrubPolicy = DEFAULT_POLICY) -> str | None:
    """The placeholder a literal value must become, or None to keep it."""
    if _EMAIL_RE.search(value):
        return EMAIL
    if any(is_card_like(match.group(0), policy) for match in _CARD_RE.finditer(value)):
        return CARD
    if is_phone_like(value):
        return PHONE
    if len(value.split()) > policy.max_words:
        return TEXT
    return None


def scrub_text(text: str, policy: ScrubPolicy = DEFAULT_POLICY) -> str:
    """Regex pass over free text (comments, error messages, questions, unparsable SQL)."""
    text = _EMAIL_RE.sub(EMAIL, text)
    text = _CARD_RE.sub(lambda m: CARD if is_card_like(m.group(0), policy) else m.group(0), text)
    return _PHONE_RE.sub(lambda m: PHONE if is_phone_like(m.group(0)) else m.group(0), text)


_QUOTED = re.compile(r"'((?:[^'\\]|''|\\.)*)'|\"((?:[^\"\\]|\"\"|\\.)*)\"")


def scrub_unparsed_sql(sql: str, policy: ScrubPolicy = DEFAULT_POLICY) -> str:
    """Fallback for text the tokenizer refuses: quoted runs by value, the rest by regex."""

    def replace(match: re.Match[str]) -> str:
        value = match.group(1) if match.group(1) is not None else match.group(2)
        placeholder = classify_value(value, policy)
        return f"'{placeholder}'" if placeholder else match.group(0)

    return scrub_text(_QUOTED.sub(replace, sql), policy)


def scrub_sql(sql: str, dialect: str | None, policy: ScrubPolicy = DEFAULT_POLICY) -> str:
    """Scrub the personal-data literals of one SQL text, keeping everything else as written."""
    try:
        tokens = get_dialect(dialect or "postgres").tokenize(sql)
    except (SqlglotError, ValueError, IndexError):
        return scrub_unparsed_sql(sql, policy)
    return scrub_tokens(sql, tokens, policy)


def scrub_tokens(sql: str, tokens: list[Token], policy: ScrubPolicy = DEFAULT_POLICY) -> str:
    """`scrub_sql` for a text the caller already tokenized."""
    pieces: list[str] = []
    cursor = 0
    for token in tokens:
        if token.start < cursor:
            continue  # sqlglot re-emits some tokens (e.g. for hints); keep the first
        if token.token_type in _STRING_TOKENS:
            placeholder = classify_value(token.text, policy)
        elif token.token_type is TokenType.NUMBER and is_card_like(token.text, policy):
            placeholder = CARD
        else:
            continue
        if placeholder is None:
            continue
        pieces.append(scrub_text(sql[cursor : token.start], policy))
        pieces.append(f"'{placeholder}'")
        cursor = token.end + 1
    pieces.append(scrub_text(sql[cursor:], policy))
    return "".join(pieces)
