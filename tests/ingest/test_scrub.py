"""Personal data out, executable literals in."""

from __future__ import annotations

import pytest

from shared.ingest.scrub import (
    CARD,
    EMAIL,
    PHONE,
    TEXT,
    ScrubPolicy,
    classify_value,
    luhn_valid,
    scrub_sql,
    scrub_text,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("john.doe@example.com", EMAIL),
        ("contact: ann+news@mail.example.org please", EMAIL),
        ("+1 (555) 010-2030", PHONE),
        ("+44 20 7946 0958", PHONE),
        ("555-0199", PHONE),
        ("4111 1111 1111 1111", CARD),
        ("5500-0000-0000-0004", CARD),
        ("378282246310005", CARD),
        (" ".join(["word"] * 13), TEXT),
        # Kept: dates, amounts, ids, codes, LIKE patterns, short text, non-Luhn digit runs.
        ("2024-01-05", None),
        ("2024-01-05 10:00:00", None),
        ("12.50", None),
        ("1237648720693755918", None),
        ("4111 1111 1111 1112", None),
        ("%@gmail.com", None),
        ("Country", None),
        ("a short note of eight words right here", None),
    ],
)
def test_classify_value(value: str, expected: str | None) -> None:
    assert classify_value(value) == expected


def test_luhn() -> None:
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")


@pytest.mark.parametrize("dialect", ["postgres", "mysql", "sqlite", "tsql"])
def test_scrub_sql_keeps_the_rest(dialect: str) -> None:
    sql = (
        "SELECT id, 'Country' AS genre FROM users WHERE email = 'ann@example.com'"
        " AND created_at > '2024-01-01' AND amount = 12.5 AND code IN (1, 2)"
    )
    assert scrub_sql(sql, dialect) == sql.replace("'ann@example.com'", f"'{EMAIL}'")


def test_scrub_sql_numbers_comments_and_truncation() -> None:
    sql = "INSERT INTO cards VALUES (4111111111111111, 1237648720693755918) /* by bo@x.org */"
    assert scrub_sql(sql, "postgres") == (
        f"INSERT INTO cards VALUES ('{CARD}', 1237648720693755918) /* by {EMAIL} */"
    )
    # An unterminated string does not tokenize: the regex fallback still finds the email.
    assert EMAIL in scrub_sql("SELECT * FROM t WHERE e = 'cy@corp.example.net", "postgres")
    # MySQL double-quoted strings are string literals too.
    assert scrub_sql('SELECT 1 FROM t WHERE e = "cy@corp.example.net"', "mysql").endswith(
        f"'{EMAIL}'"
    )


def test_policy_and_free_text() -> None:
    note = "'my order arrived late and the box was damaged'"
    sql = f"UPDATE orders SET note = {note} WHERE id = 3"
    assert scrub_sql(sql, "postgres") == sql  # 9 words: kept by default
    assert scrub_sql(sql, "postgres", ScrubPolicy(max_words=5)) == sql.replace(note, f"'{TEXT}'")


def test_scrub_text_for_error_messages() -> None:
    message = "duplicate key value: Key (email)=(x@y.com) phone +1 (555) 010-2030"
    assert scrub_text(message) == f"duplicate key value: Key (email)=({EMAIL}) phone {PHONE}"
