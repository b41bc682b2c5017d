"""Evolved samples no worse than the ones they come from (issue 18's "done when"): session 7
measured sense warnings more often on evolved records than on the first generation (57.7% vs
44.2%). Each cause found has a test here that fails on the code before the fix."""

from __future__ import annotations

import random

import pytest
import sqlglot
from sqlglot import exp

from shared.evolution.build import sources_of
from shared.evolution.context import EvolveContext, Kind, view_query
from shared.evolution.direction import DirectionConfig, OperatorTally
from shared.evolution.evolve import (
    CARRIED_DEFECTS,
    WORDING_CHECKS,
    EvolveLog,
    check_candidate,
    evolution_allowance,
    open_trial,
    parent_warnings,
    situated,
)
from shared.evolution.model import Change, ChangeKind, Evolution, Operator
from shared.evolution.ops_clause import filter_values, propose_logic
from shared.evolution.ops_expr import pinned_columns
from shared.evolution.parents import Parent, parent_from_record
from shared.evolution.roles import is_bookkeeping
from shared.evolution.step import evolve_parent
from shared.evolution.wording import Reword, phrase_of
from shared.sense import Origin, SenseInput, analyse_record
from shared.sense.question import SUPERLATIVES
from tests.unit.evolution.test_describe import SCHEMA
from tests.unit.evolution.test_operators import load_records

BOOKKEEPING_SCHEMA = (
    "CREATE TABLE shops (id INTEGER PRIMARY KEY, shop_name VARCHAR(20) NOT NULL,"
    " created_on DATE NOT NULL, record_status VARCHAR(10) NOT NULL);\n"
    "CREATE TABLE sales (id INTEGER PRIMARY KEY, shop_id INTEGER NOT NULL REFERENCES shops(id),"
    " amount DECIMAL(8,2) NOT NULL, sold_on DATE NOT NULL, created_on DATE NOT NULL,"
    " updated_on DATE);"
)


@pytest.fixture(scope="module")
def parents() -> list[Parent]:
    found = [parent_from_record(r) for r in load_records()]
    return [p for p in found if isinstance(p, Parent)]


def _warnings(parent: Parent, question: str, sql: str) -> frozenset[object]:
    draft = parent.draft
    report = analyse_record(
        SenseInput(
            question=question,
            sql=sql,
            schema_ddl=draft.schema_ddl,
            rows=tuple(draft.rows),
            origin=Origin.GENERATED,
            planned_style=draft.prompt_style,
        ),
        stop_early=True,
    )
    return report.checks


def test_evolved_drafts_add_no_sense_warning(parents: list[Parent]) -> None:
    """Without the trial run's warning check, most evolutions of the fixture parents add a
    warning (a longer question, a lost style, an ORDER BY left on one row); with it none does,
    and none keeps a wording warning or a carried defect of its parent."""
    gated, ungated, added_without = 0, 0, 0
    for parent in parents:
        allowed = evolution_allowance(parent_warnings(parent.draft))
        assert not allowed & (WORDING_CHECKS | CARRIED_DEFECTS)
        for gate in (True, False):
            config = DirectionConfig(top_k=6, no_new_warnings=gate)
            for evolved in evolve_parent(
                parent, OperatorTally(), config, random.Random(7), EvolveLog()
            ):
                found = _warnings(parent, evolved.draft.question, evolved.draft.sql)
                if gate:
                    gated += 1
                    assert found <= allowed, (evolved.draft.question, found - allowed)
                else:
                    ungated += 1
                    added_without += bool(found - allowed)
    assert gated >= 20 and ungated > gated
    assert added_without > ungated // 4


def test_no_change_is_worded_with_a_ranking_word() -> None:
    """ "at least" / "at most" read as superlatives to the sense checks (ranking_words on 8 of
    18 session-7 hits were a band's "'High' when at least ...")."""
    changes = [
        Change(ChangeKind.ADD_BAND, label="credits", values=(3, "High", "Low")),
        Change(
            ChangeKind.ADD_BAND,
            label="date opened",
            values=("2020-01-01", "New", "Old"),
            is_date=True,
        ),
        Change(ChangeKind.ADD_HAVING, noun="orders", op="gt", values=(2,)),
        Change(ChangeKind.ADD_FILTER, label="capacity", noun="venues", op="gt", values=(150,)),
        Change(ChangeKind.ADD_FILTER, label="capacity", noun="venues", op="lt", values=(150,)),
        Change(ChangeKind.ADD_RANK, label="capacity"),
    ]
    for change in changes:
        for seed in range(5):
            phrase = phrase_of(change, random.Random(seed))
            assert not SUPERLATIVES.search(phrase.lower()), phrase


def test_numeric_filters_and_having_are_strict() -> None:
    """The realizer says >= and <= as "at least" / "at most": the operators write > and <."""
    with EvolveContext.open(SCHEMA, ()) as ctx:
        ops = {
            op
            for seed in range(20)
            for op, _ in filter_values(ctx, "vans", "mileage", random.Random(seed))
        }
        assert ops == {"gt", "lt"}
        view = view_query(
            sqlglot.parse_one(
                "SELECT v.depot_id, COUNT(*) AS n FROM vans AS v GROUP BY v.depot_id", read="sqlite"
            )
        )
        assert view is not None
        havings = [
            e
            for e in propose_logic(view, ctx, random.Random(1))
            if e.change.kind is ChangeKind.ADD_HAVING
        ]
    assert havings and all(" > " in e.sql and ">=" not in e.sql for e in havings)


def test_bookkeeping_columns_only_when_nothing_else_qualifies() -> None:
    assert is_bookkeeping("created_on") and is_bookkeeping("updated_on")
    assert is_bookkeeping("record_status") and not is_bookkeeping("sold_on")
    sql = "SELECT s.amount FROM sales AS s INNER JOIN shops AS sh ON s.shop_id = sh.id"
    view = view_query(sqlglot.parse_one(sql, read="sqlite"))
    assert view is not None
    with EvolveContext.open(BOOKKEEPING_SCHEMA, ()) as ctx:
        dates = {name for _, _, name in sources_of(view, ctx, Kind.DATE)}
        texts = {name for _, _, name in sources_of(view, ctx, Kind.TEXT)}
        only_shops = view_query(sqlglot.parse_one("SELECT sh.shop_name FROM shops AS sh"))
        assert only_shops is not None
        shop_dates = {name for _, _, name in sources_of(only_shops, ctx, Kind.DATE)}
    assert dates == {"sold_on"}  # not created_on / updated_on while a real date exists
    assert "record_status" not in texts and "shop_name" in texts
    assert shop_dates == {"created_on"}  # the only date: read rather than nothing


def test_fall_through_places_skip_an_operator_far_above_its_target() -> None:
    tally = OperatorTally()
    for op in Operator:
        for _ in range(10 if op is Operator.OP else 2):
            tally.add(op)
    config = DirectionConfig(top_k=2)
    assert Operator.OP in tally.rank(dict.fromkeys(Operator, 1.0), config)
    chosen = tally.choose(dict.fromkeys(Operator, 1.0), config)
    assert Operator.OP not in chosen and len(chosen) == len(Operator) - 1
    # Chosen by utility in the top K it stays: only the fall-through places are closed to it.
    only_op = {**dict.fromkeys(Operator, 0.0), Operator.OP: 1.0, Operator.FUNC: 1.0}
    assert Operator.OP in tally.choose(only_op, config)
    assert tally.choose(dict.fromkeys(Operator, 1.0), DirectionConfig(top_k=2, fall_through=False))
    assert (
        len(
            tally.choose(dict.fromkeys(Operator, 1.0), DirectionConfig(top_k=2, fall_through=False))
        )
        == 2
    )


def test_counting_only_names_the_rows_the_aggregate_counts() -> None:
    """A filter on the FROM table of a query that counts a joined child's rows restricts the
    child's rows: "counting only vans whose depot ..." (session 7 said "counting only depots")."""
    sql = (
        "SELECT d.depot_name, COUNT(*) AS n FROM depots AS d"
        " INNER JOIN vans AS v ON v.depot_id = d.id GROUP BY d.id, d.depot_name"
    )
    view = view_query(sqlglot.parse_one(sql, read="sqlite"))
    assert view is not None
    change = Change(
        ChangeKind.JOIN_FILTER, label="city", noun="depot", op="eq", values=("Oslo",), is_text=True
    )
    with EvolveContext.open(SCHEMA, ()) as ctx:
        placed = situated(Evolution(sql, Operator.JOIN, change), view, ctx)
    assert placed.change.counted == "vans"
    assert phrase_of(placed.change, random.Random(0)).startswith("counting only vans ")
    # A comparison with the average on the parent's own column: still the vans counted (the
    # first reading of session 8: "counting only departments with ... below the average").
    average = Change(ChangeKind.ABOVE_AVERAGE, label="depot id", noun="depots", op="lt")
    with EvolveContext.open(SCHEMA, ()) as ctx:
        placed = situated(Evolution(sql, Operator.NEST, average), view, ctx)
    assert placed.change.counted == "vans"


def test_an_order_left_on_one_row_is_dropped_and_the_question_said_without_it() -> None:
    """A filter that narrows ranked rows to one: the draft is the same result without the
    ORDER BY, worded from its own tree (session 7 kept the ORDER BY: order_on_one_row on 12%
    of evolved records)."""
    record = load_records()[11]
    arms = "p.study_arm IN ('High dose', 'Standard of care')"
    record["sql"] = (
        f"SELECT p.participant_code, p.birth_date FROM participants AS p WHERE {arms}"
        " ORDER BY p.birth_date DESC"
    )
    record["sql_prompt"] = (
        "Could you find the participant code and date of birth of the participants whose study"
        " arm is 'High dose' or 'Standard of care', latest date of birth first?"
    )
    parent = parent_from_record(record)
    assert isinstance(parent, Parent)
    narrowed = record["sql"].replace(
        arms, f"{arms} AND p.birth_date BETWEEN '1976-01-01' AND '1999-12-31'"
    )
    change = Change(
        ChangeKind.ADD_BETWEEN,
        label="date of birth",
        noun="participants",
        op="between",
        values=("1976-01-01", "1999-12-31"),
        is_date=True,
    )
    log = EvolveLog()
    trial = open_trial(parent, log)
    assert trial is not None and len(trial.before) > 1
    with trial.ctx:
        draft = check_candidate(
            parent,
            Evolution(narrowed, Operator.LOGIC, change),
            trial.ctx,
            trial.before,
            random.Random(1),
            log,
            Reword.REALIZED,
            None,
            frozenset(),
        )
    assert draft is not None
    assert "ORDER BY" not in draft.sql and "1976-01-01" in draft.sql
    assert "1976-01-01" in draft.question and "first" not in draft.question
    # Still an evolution: more tokens than the parent (an ORDER BY COUNT(*) taken away may not
    # leave fewer functions than the parent had; `_above`).
    assert not _warnings(parent, draft.question, draft.sql)
    assert log.worded["without_one_row_order"] == 1


def test_a_column_the_where_keeps_null_is_not_wrapped() -> None:
    """MAX of a column the WHERE holds at NULL is NULL in every group ("highest delay in
    minutes ... of runs with no delay in minutes", read in session 8's final run)."""
    sql = (
        "SELECT v.plate, COUNT(*) AS n FROM vans AS v INNER JOIN trips AS t ON t.van_id = v.id"
        " WHERE t.km IS NULL GROUP BY v.id, v.plate"
    )
    select = sqlglot.parse_one(sql, read="sqlite")
    assert isinstance(select, exp.Select)
    assert ("t", "km") in pinned_columns(select)
