"""Offline mistakes reach every WHERE and GROUP BY of a query, not only the outer SELECT's, and a
bare row count has a mistake too (records of these shapes got no preference pair before)."""

from __future__ import annotations

from shared.pairs.mutations import ErrorKind, propose_mutants, read_schema_columns

SCHEMA = read_schema_columns(
    "CREATE TABLE carriers (carrier_id INT PRIMARY KEY, carrier_name TEXT);"
    "CREATE TABLE vehicles (vehicle_id INT PRIMARY KEY, plate TEXT, carrier_id INT, year INT);",
    "sqlite",
)


def kinds_of(sql: str) -> dict[ErrorKind, list[str]]:
    found: dict[ErrorKind, list[str]] = {}
    for kind, text in propose_mutants(sql, "sqlite", SCHEMA):
        found.setdefault(kind, []).append(text)
    return found


def test_a_predicate_inside_a_cte_is_dropped_and_flipped() -> None:
    sql = (
        "WITH fleet AS (SELECT c.carrier_name, COUNT(*) AS n FROM vehicles AS v "
        "JOIN carriers AS c ON v.carrier_id = c.carrier_id WHERE v.year < 2015 "
        "GROUP BY c.carrier_id, c.carrier_name) SELECT f.carrier_name, f.n FROM fleet AS f"
    )
    found = kinds_of(sql)
    assert any("WHERE" not in text for text in found[ErrorKind.DROPPED_PREDICATE])
    assert any("v.year >= 2015" in text for text in found[ErrorKind.FLIPPED_PREDICATE])
    # One grouping key too few inside the CTE.
    assert any("GROUP BY c.carrier_name)" in t for t in found[ErrorKind.WRONG_GROUPING])


def test_an_update_loses_or_flips_the_filter_of_its_subquery() -> None:
    sql = (
        "UPDATE vehicles SET year = year + 1 WHERE vehicles.carrier_id IN "
        "(SELECT c.carrier_id FROM carriers AS c WHERE c.carrier_name = 'Acme')"
    )
    found = kinds_of(sql)
    assert any("'Acme'" not in text for text in found[ErrorKind.DROPPED_PREDICATE])
    assert any("<> 'Acme'" in text for text in found[ErrorKind.FLIPPED_PREDICATE])


def test_a_bare_row_count_counts_a_column_instead() -> None:
    found = kinds_of("SELECT COUNT(*) AS vehicle_count FROM vehicles AS v")
    mistakes = found[ErrorKind.WRONG_AGGREGATE]
    # The repeating reference first; never the key, whose values are all distinct.
    assert mistakes[0] == "SELECT COUNT(DISTINCT carrier_id) AS vehicle_count FROM vehicles AS v"
    assert not any("vehicle_id" in text for text in mistakes)


def test_a_count_over_a_join_is_left_alone() -> None:
    sql = "SELECT COUNT(*) FROM vehicles AS v JOIN carriers AS c ON v.carrier_id = c.carrier_id"
    assert ErrorKind.WRONG_AGGREGATE not in kinds_of(sql)
