"""Severity, messages and robustness of the sense analysis on small hand-written records."""

from __future__ import annotations

from proto.common import PromptStyle
from shared.sense import Origin, SenseCheck, SenseInput, Severity, analyse_record

SCHEMA = (
    "CREATE TABLE teams (id INTEGER PRIMARY KEY, team_name TEXT NOT NULL, city TEXT NOT NULL);\n"
    "CREATE TABLE players (id INTEGER PRIMARY KEY, full_name TEXT NOT NULL, team_id INTEGER "
    "NOT NULL, shirt_number INTEGER NOT NULL, goals INTEGER NOT NULL, "
    "FOREIGN KEY (team_id) REFERENCES teams (id));\n"
    "INSERT INTO teams VALUES (1, 'Reds', 'Leeds'), (2, 'Blues', 'York');\n"
    "INSERT INTO players VALUES (1, 'Ann', 1, 9, 3), (2, 'Bob', 1, 10, 0), (3, 'Cy', 2, 7, 5);"
)


def _analyse(sql: str, question: str, origin: Origin = Origin.GENERATED) -> dict[SenseCheck, str]:
    report = analyse_record(SenseInput(question, sql, SCHEMA, origin=origin))
    return {f.check: f.severity.value for f in report.findings}


def test_sum_of_shirt_numbers_is_an_error_on_a_generated_record_and_a_warning_on_a_users() -> None:
    sql = "SELECT SUM(p.shirt_number) FROM players AS p"
    question = "What is the total shirt number of the players?"
    assert _analyse(sql, question)[SenseCheck.IDENTIFIER_AGGREGATE] == Severity.ERROR
    user = _analyse(sql, question, Origin.USER)
    assert user[SenseCheck.IDENTIFIER_AGGREGATE] == Severity.WARNING


def test_a_clean_record_has_no_error() -> None:
    report = analyse_record(
        SenseInput(
            "How many goals did the players of the Reds score?",
            "SELECT SUM(p.goals) FROM players AS p JOIN teams AS t ON p.team_id = t.id "
            "WHERE t.team_name = 'Reds'",
            SCHEMA,
            origin=Origin.GENERATED,
        )
    )
    assert not report.errors, report.findings


def test_unparsable_sql_is_reported_not_raised() -> None:
    report = analyse_record(SenseInput("q?", "SELEC nonsense FROM (", SCHEMA))
    assert report.error and not report.findings


def test_a_fixture_that_does_not_load_makes_data_checks_not_applicable() -> None:
    report = analyse_record(
        SenseInput(
            "How many?", "SELECT COUNT(*) FROM t", "CREATE TABLE t (a); INSERT INTO u VALUES (1);"
        )
    )
    assert "data" in {g.value for g in report.not_applicable}


def test_dml_check_leaves_the_rows_as_found() -> None:
    found = _analyse("DELETE FROM players WHERE goals >= 0", "Delete every player with goals.")
    assert SenseCheck.DML_ALL_OR_NONE in found
    again = _analyse(
        "SELECT COUNT(*) FROM players WHERE goals > 2", "How many players scored more than 2?"
    )
    assert SenseCheck.UNWITNESSED_PREDICATE not in again


def test_style_and_length_are_warnings_when_a_style_was_planned() -> None:
    report = analyse_record(
        SenseInput(
            "Could you list the players with more than 2 goals, please?",
            "SELECT p.full_name FROM players AS p WHERE p.goals > 2",
            SCHEMA,
            origin=Origin.GENERATED,
            planned_style=PromptStyle.TERSE,
        )
    )
    checks = {f.check: f.severity for f in report.findings}
    assert checks[SenseCheck.STYLE_MISMATCH] is Severity.WARNING


BRIDGED = (
    "CREATE TABLE students (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n"
    "CREATE TABLE courses (id INTEGER PRIMARY KEY, title TEXT NOT NULL);\n"
    "CREATE TABLE rooms (id INTEGER PRIMARY KEY, label TEXT NOT NULL);\n"
    "CREATE TABLE enrollments (student_id INTEGER NOT NULL REFERENCES students (id), "
    "course_id INTEGER NOT NULL REFERENCES courses (id));\n"
    "INSERT INTO students VALUES (1, 'Ann'), (2, 'Bob');\n"
    "INSERT INTO courses VALUES (1, 'Maths'), (2, 'Art');\n"
    "INSERT INTO rooms VALUES (1, 'A1'), (2, 'B2');\n"
    "INSERT INTO enrollments VALUES (1, 1), (2, 2);"
)


def test_a_cross_join_of_tables_a_bridge_table_links_is_found() -> None:
    """A warning, as the severity table of docs/sense.md has it for every cross join."""
    question = "How many courses did the student named Ann take?"
    crossed = "SELECT COUNT(*) FROM students AS s CROSS JOIN courses AS c WHERE s.name = 'Ann'"
    report = analyse_record(SenseInput(question, crossed, BRIDGED, origin=Origin.GENERATED))
    found = {f.check: f for f in report.findings}
    assert found[SenseCheck.CROSS_JOIN_LINKED].severity is Severity.WARNING
    assert "bridge table enrollments" in found[SenseCheck.CROSS_JOIN_LINKED].message
    # Tables nothing links (students and rooms) may be crossed: every pairing is the question.
    pairing = "SELECT s.name, r.label FROM students AS s CROSS JOIN rooms AS r"
    unlinked = analyse_record(
        SenseInput("Pair every student with every room.", pairing, BRIDGED, origin=Origin.GENERATED)
    )
    assert SenseCheck.CROSS_JOIN_LINKED not in {f.check for f in unlinked.findings}


def test_a_lone_table_grouped_by_its_key_is_a_group_of_one_warning() -> None:
    sql = "SELECT p.full_name, COUNT(*) FROM players AS p GROUP BY p.id, p.full_name"
    found = _analyse(sql, "What is the number of players by player?")
    assert found[SenseCheck.GROUP_OF_ONE] == Severity.WARNING
    joined = (
        "SELECT t.team_name, COUNT(*) FROM players AS p JOIN teams AS t ON p.team_id = t.id "
        "GROUP BY t.id, t.team_name"
    )
    assert SenseCheck.GROUP_OF_ONE not in _analyse(joined, "How many players per team?")
    by_city = "SELECT t.city, COUNT(*) FROM teams AS t GROUP BY t.city"
    assert SenseCheck.GROUP_OF_ONE not in _analyse(by_city, "How many teams per city?")


def test_at_least_and_at_most_are_bounds_not_rankings() -> None:
    sql = (
        "SELECT t.team_name, COUNT(*) AS players FROM teams AS t JOIN players AS p "
        "ON p.team_id = t.id GROUP BY t.id, t.team_name HAVING COUNT(*) >= 2"
    )
    bounded = _analyse(sql, "Which teams have at least 2 players, and how many each?")
    assert SenseCheck.RANKING_WORDS not in bounded
    at_most = _analyse(sql.replace(">= 2", "<= 2"), "Which teams have at most 2 players?")
    assert SenseCheck.RANKING_WORDS not in at_most
    # A real superlative without any ranking in the SQL is still found.
    ranked = _analyse(sql, "Which team has the most players?")
    assert SenseCheck.RANKING_WORDS in ranked
