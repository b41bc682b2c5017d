"""The meaning of SQL read off its sqlglot tree (for expanded and evolved queries): what it says,
what it refuses to say, and that expansion words its variants from it (fewer near-duplicate
questions than changing the parent's question in place)."""

from __future__ import annotations

import random
import re

import pytest
import sqlglot

from proto.common import PromptStyle
from shared.evolution.context import EvolveContext, view_query
from shared.evolution.describe import describe_query
from shared.evolution.evolve import EvolveLog
from shared.evolution.expand import expand_pattern, word_overlap
from shared.evolution.names import names_of
from shared.evolution.parents import Parent, parent_from_record
from shared.evolution.wording import Reword, realize_sql
from shared.generation.template.words import Agg, Intent, Op, QuestionMeaning
from shared.sense import Origin, SenseInput, analyse_record
from tests.unit.evolution.test_operators import load_records

SCHEMA = (
    "CREATE TABLE depots (id INTEGER PRIMARY KEY, depot_name VARCHAR(20) NOT NULL,"
    " city VARCHAR(20) NOT NULL);\n"
    "CREATE TABLE vans (id INTEGER PRIMARY KEY, depot_id INTEGER NOT NULL REFERENCES depots(id),"
    " plate VARCHAR(10) NOT NULL, mileage DECIMAL(10,2) NOT NULL, bought_on DATE NOT NULL);\n"
    "CREATE TABLE trips (id INTEGER PRIMARY KEY, van_id INTEGER NOT NULL REFERENCES vans(id),"
    " km DECIMAL(8,2) NOT NULL);\n"
    "INSERT INTO depots (id, depot_name, city) VALUES (1, 'Dock', 'Oslo'), (2, 'Yard', 'Bergen');\n"
    "INSERT INTO vans (id, depot_id, plate, mileage, bought_on) VALUES"
    " (1, 1, 'AB1', 12000.0, '2021-03-01'), (2, 1, 'AB2', 8000.0, '2022-06-10'),"
    " (3, 2, 'CD3', 15000.0, '2020-01-05'), (4, 2, 'CD4', 3000.0, '2023-09-09');\n"
    "INSERT INTO trips (id, van_id, km) VALUES (1, 1, 10.5), (2, 1, 30.0), (3, 3, 12.0);"
)


def describe(sql: str) -> QuestionMeaning | None:
    view = view_query(sqlglot.parse_one(sql, read="sqlite"))
    assert view is not None
    with EvolveContext.open(SCHEMA, ()) as ctx:
        return describe_query(view, ctx)


def test_a_grouped_join_reads_its_groups_measures_filters_and_order() -> None:
    meaning = describe(
        "SELECT d.depot_name, COUNT(*) AS n, ROUND(AVG(v.mileage), 2) AS avg_mileage"
        " FROM vans AS v INNER JOIN depots AS d ON v.depot_id = d.id"
        " WHERE v.bought_on >= '2021-01-01' AND d.city IN ('Oslo', 'Bergen')"
        " GROUP BY d.id, d.depot_name HAVING COUNT(*) >= 2 ORDER BY COUNT(*) DESC LIMIT 1"
    )
    assert meaning is not None
    assert meaning.intent is Intent.BREAKDOWN
    assert meaning.groups == ("depot",)  # the row, not its name
    measures = {(m.agg, m.label) for m in meaning.measures}
    assert measures == {(Agg.COUNT, "number of vans"), (Agg.AVERAGE, "average mileage")}
    filters = {(f.op, f.field, f.values) for f in meaning.filters}
    assert filters == {
        (Op.GE, "date bought", ("2021-01-01",)),
        (Op.IN, "depot city", ("Oslo", "Bergen")),
    }
    (having,) = meaning.group_filters
    assert having.counts_subject and having.values == (2,)
    ranking = meaning.ranking
    assert ranking is not None
    assert ranking.counted == "vans" and ranking.descending and ranking.limit == 1


def test_a_child_join_counts_the_childs_rows_and_windows_are_extra_columns() -> None:
    meaning = describe(
        "SELECT v.plate, COUNT(*) AS trips, RANK() OVER (ORDER BY COUNT(*) DESC) AS r"
        " FROM vans AS v INNER JOIN trips AS t ON t.van_id = v.id GROUP BY v.id, v.plate"
    )
    assert meaning is not None
    assert [m.label for m in meaning.measures] == ["number of trips"]
    assert meaning.extras == ("rank by number of trips",)


def test_related_rows_and_a_comparison_with_all_rows_are_said() -> None:
    meaning = describe(
        "SELECT v.plate FROM vans AS v WHERE v.mileage > (SELECT AVG(v2.mileage) FROM vans AS v2)"
        " AND NOT EXISTS (SELECT 1 FROM trips AS t WHERE t.van_id = v.id)"
    )
    assert meaning is not None
    filters = {(f.op, f.field, f.values, f.related) for f in meaning.filters}
    assert filters == {
        (Op.VS_AGG, "mileage", (">", "average"), "vans"),
        (Op.HAS_NO, "", (), "trips"),
    }


@pytest.mark.parametrize(
    "sql",
    [
        "WITH x AS (SELECT id FROM vans) SELECT id FROM x",  # a CTE
        "SELECT v.plate FROM vans AS v WHERE v.mileage > (SELECT AVG(km) FROM trips)",
        "SELECT v.plate FROM vans AS v WHERE EXISTS (SELECT 1 FROM trips AS t WHERE t.km > 3)",
        "SELECT v.plate FROM vans AS v WHERE v.plate IN (SELECT plate FROM vans)",
        "SELECT v.plate, CASE WHEN v.mileage > 9000 THEN 'high' ELSE 'low' END FROM vans AS v",
        "SELECT v.plate FROM vans AS v CROSS JOIN depots AS d",  # a join without a key
        "SELECT v.plate FROM vans AS v INNER JOIN trips AS t ON t.km = v.mileage",
        "SELECT v.id FROM vans AS v",  # a row's own key: nobody asks for ids by name
        "SELECT v.plate FROM vans AS v WHERE UPPER(v.plate) = 'AB1'",
        "SELECT v.plate FROM vans AS v LIMIT 2",  # which two is not said
        # An EXISTS on a joined table's row, not the subject's: "depots that have trips" would
        # name the wrong rows (read in 30 evolved records: "departments ... that have enrollments"
        # for students that have one).
        "SELECT v.plate FROM depots AS d INNER JOIN vans AS v ON v.depot_id = d.id"
        " WHERE EXISTS (SELECT 1 FROM trips AS t WHERE t.van_id = v.id)",
    ],
)
def test_what_cannot_be_said_gives_none(sql: str) -> None:
    assert describe(sql) is None


def _literals(sql: str) -> list[str]:
    return re.findall(r"'([^']*)'", sql)


def test_realized_questions_of_real_records_name_every_value_and_pass_the_sense_checks() -> None:
    parents = [p for p in map(parent_from_record, load_records()) if isinstance(p, Parent)]
    realized = 0
    for parent in parents:
        draft = parent.draft
        with EvolveContext.open(draft.schema_ddl, tuple(draft.rows)) as ctx:
            for style in PromptStyle:
                question = realize_sql(draft.sql, ctx, style, random.Random(3), draft.domain)
                if question is None:
                    continue
                realized += 1
                for value in _literals(draft.sql):
                    assert value in question, (question, draft.sql)
                sense = analyse_record(
                    SenseInput(
                        question=question,
                        sql=draft.sql,
                        schema_ddl=draft.schema_ddl,
                        rows=tuple(draft.rows),
                        origin=Origin.GENERATED,
                        planned_style=style,
                    )
                )
                assert not sense.errors, (question, draft.sql, sense.errors)
    # Most of the plain SELECTs of the fixture are said (CTEs, CASE, subqueries are not).
    assert realized >= 6 * len(PromptStyle)


def test_the_domains_words_are_used_when_the_record_has_one() -> None:
    (parent,) = [
        p
        for p in map(parent_from_record, load_records())
        if isinstance(p, Parent) and "weight_kg" in p.draft.sql
    ]
    assert names_of(parent.draft.domain).labels, "a template domain has labels"
    with EvolveContext.open(parent.draft.schema_ddl, tuple(parent.draft.rows)) as ctx:
        question = realize_sql(
            parent.draft.sql, ctx, PromptStyle.DIRECT, random.Random(0), parent.draft.domain
        )
    assert question is not None and "weight in kilograms" in question
    assert names_of("not-a-domain").labels == {}


def test_expansion_rewords_its_variants_farther_from_the_parent() -> None:
    parents = [p for p in map(parent_from_record, load_records()) if isinstance(p, Parent)]
    overlaps: dict[Reword, list[float]] = {r: [] for r in Reword}
    for reword in Reword:
        log = EvolveLog()
        for parent in parents:
            found = expand_pattern(parent, random.Random(5), log, reword)
            if found is not None:
                overlaps[reword].append(word_overlap(parent.draft.question, found[1].question))
        if reword is Reword.REALIZED:
            assert log.worded[Reword.REALIZED.value] > 0
    realized, in_place = overlaps[Reword.REALIZED], overlaps[Reword.IN_PLACE]
    assert realized and in_place
    assert sum(realized) / len(realized) < sum(in_place) / len(in_place)


def test_a_schema_without_declared_keys_is_read_by_its_primary_keys() -> None:
    """Found reading evolved records: template schemas that declare no REFERENCES had every
    join refused, so their evolutions fell back to the in-place clause."""
    schema = SCHEMA.replace(" REFERENCES depots(id)", "").replace(" REFERENCES vans(id)", "")
    sql = (
        "SELECT d.city, COUNT(*) AS n FROM vans AS v INNER JOIN depots AS d"
        " ON v.depot_id = d.id WHERE v.mileage > 5000 GROUP BY d.city"
    )
    view = view_query(sqlglot.parse_one(sql, read="sqlite"))
    assert view is not None
    with EvolveContext.open(schema, ()) as ctx:
        assert not ctx.info.facts.foreign_keys
        meaning = describe_query(view, ctx)
    assert meaning is not None
    assert [m.label for m in meaning.measures] == ["number of vans"]
    assert meaning.groups == ("depot city",)


def test_functional_wrapping_leaves_a_column_pinned_to_one_value() -> None:
    """A rank (or MIN/MAX) of a column the WHERE pins to one value is the same for every row
    ("rank by year of enrollment of students with year of enrollment 2020": every rank 1)."""
    from shared.evolution.ops_expr import propose_func

    rows = "SELECT v.plate FROM vans AS v WHERE v.mileage = 12000.0 AND v.plate <> 'X'"
    grouped = (
        "SELECT t.van_id, COUNT(*) AS n FROM trips AS t INNER JOIN vans AS v ON t.van_id = v.id"
        " WHERE (v.mileage = 12000.0) GROUP BY t.van_id"
    )
    for text in (rows, grouped):
        view = view_query(sqlglot.parse_one(text, read="sqlite"))
        assert view is not None
        with EvolveContext.open(SCHEMA, ()) as ctx:
            wrapped = [e.sql for e in propose_func(view, ctx, random.Random(0))]
        assert not [w for w in wrapped if "RANK() OVER (ORDER BY v.mileage" in w]
        assert not [w for w in wrapped if re.search(r"(MIN|MAX|AVG)\(v\.mileage\)", w)]
        if text == grouped:  # the trips' own numbers are still wrapped
            assert [w for w in wrapped if "(t.km)" in w], wrapped


def test_a_column_named_in_the_plural_is_not_pluralised_again() -> None:
    """Session 10: an expanded question listed "minutess watched" (the realizer pluralised a
    label whose head, "minutes", is plural already)."""
    schema = (
        "CREATE TABLE viewing_sessions (id INTEGER PRIMARY KEY, session_code VARCHAR(10) NOT NULL,"
        " device_type VARCHAR(10) NOT NULL, minutes_watched INTEGER NOT NULL,"
        " hours_rated INTEGER NOT NULL);\n"
        "INSERT INTO viewing_sessions VALUES (1, 'S1', 'TV', 40, 1), (2, 'S2', 'TV', 55, 2),"
        " (3, 'S3', 'Phone', 12, 1);"
    )
    sql = (
        "SELECT vs.session_code, vs.minutes_watched, vs.hours_rated FROM viewing_sessions AS vs"
        " WHERE vs.device_type = 'TV'"
    )
    with EvolveContext.open(schema, ()) as ctx:
        questions = [
            realize_sql(sql, ctx, style, random.Random(seed))
            for style in (PromptStyle.DIRECT, PromptStyle.TERSE)
            for seed in range(4)
        ]
    said = [q for q in questions if q is not None]
    assert said
    for question in said:
        assert "minutes watched" in question and "hours rated" in question, question
        assert not re.search(r"\bminutess|\bhourss", question), question
