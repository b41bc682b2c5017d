"""Vocabulary shared by every contract: enums and the schema version.

No pydantic here (the base model is `proto.contract.Contract`): CLI help and option parsing
need these enums, and importing pydantic for them cost ~0.2 s of every `sqlsynth ... --help`.
"""

from __future__ import annotations

from enum import StrEnum

# Bump on any change that an old consumer could not read; the drift test pins the JSON Schemas.
SCHEMA_VERSION = 1


class Engine(StrEnum):
    SQLITE = "sqlite"
    POSTGRES = "postgres"
    MYSQL = "mysql"


class Agreement(StrEnum):
    """The LLM judge's own SQL for the question against the sample's, by execution."""

    AGREE = "agree"
    DISAGREE = "disagree"
    # The judge's SQL did not run, or answered a different kind of task: not a finding.
    INCONCLUSIVE = "inconclusive"


class Level(StrEnum):
    """Validation levels of DataFramer: parse only; DDL+rows execute and the query prepares; run."""

    SYNTAX = "syntax"
    SCHEMA = "schema"
    FULL = "full"


class Policy(StrEnum):
    """portable: one SQL text must pass on every engine. transpiled: each engine its rendering."""

    PORTABLE = "portable"
    TRANSPILED = "transpiled"


class PromptStyle(StrEnum):
    """The six question styles of DataFramer."""

    DIRECT = "direct_question"
    IMPERATIVE = "imperative"
    CONVERSATIONAL = "conversational"
    TERSE = "terse_keyword"
    MULTI_PART = "complex_multi_part"
    INFORMAL = "informal_ambiguous"


class Complexity(StrEnum):
    """Difficulty levels of SENSE (easy, medium, hard)."""

    EASY = "easy"
    MEDIUM = "medium"
    HARD = "hard"


class TaskType(StrEnum):
    """Gretel's sql_task_type values, minus data definition (the spec excludes DDL tasks)."""

    ANALYTICS = "analytics and reporting"
    RETRIEVAL = "data retrieval"
    MANIPULATION = "data manipulation"


class JoinKind(StrEnum):
    INNER = "inner"
    LEFT = "left"
    RIGHT = "right"
    FULL = "full"
    CROSS = "cross"


class SqlFeature(StrEnum):
    """Query features a blueprint can require and the extractor measures."""

    AGGREGATE = "aggregate"
    GROUP_BY = "group_by"
    HAVING = "having"
    ORDER_BY = "order_by"
    LIMIT = "limit"
    DISTINCT = "distinct"
    CASE = "case"
    CTE = "cte"
    SET_OPERATION = "set_operation"
    WINDOW = "window_function"
    SCALAR_SUBQUERY = "scalar_subquery"
    IN_SUBQUERY = "in_subquery"
    EXISTS_SUBQUERY = "exists_subquery"
    DERIVED_TABLE = "derived_table"


class SeedMode(StrEnum):
    """How a planned sample uses its seed (SQL-Factory): keep the seed's SQL and write the question
    for it, or write a new query over the seed's schema with the seed as the example."""

    BACK_TRANSLATE = "back_translate"
    EXPAND = "expand"
    # SQL-Factory's Expansion Team (§4.3) in an explore-expand run: an accepted sample of the run
    # (the planned envelope carries its draft) re-instantiated on other tables, columns or
    # values of its schema, with no model call.
    PATTERN = "pattern"
    # EvolSQL inside an explore-expand run (a planner option): the planner chose the operator
    # by feasibility and scarcity (`blueprint.evolution` ends with it); the generator applies it.
    EVOLVE = "evolve"


class ExpansionKind(StrEnum):
    """What an expansion varied (SQL-Factory §4.3.2), from the farthest move to the nearest."""

    TABLE = "table"  # the skeleton on another table with matching column kinds
    COLUMN = "column"  # one column for another of its table, of the same kind
    VALUE = "value"  # a compared literal for another value the rows hold


class EvolutionOperator(StrEnum):
    """EvolSQL's six atomic transformation operators (seed 004, §4.2, Eq. 3-8)."""

    FUNC = "functional_wrapping"
    OP = "operator_mutation"
    LOGIC = "logical_clause_expansion"
    JOIN = "relational_expansion"
    NEST = "nesting_evolution"
    SET = "set_composition"


class ReviewMode(StrEnum):
    """Which samples a person decides before they are accepted (`sqlsynth run --review`)."""

    OFF = "off"
    # Only samples with a finding: sense warnings, judge objections, engine disagreements, repairs.
    WARNINGS = "warnings"
    ALL = "all"


class Stage(StrEnum):
    PLANNER = "planner"
    GENERATOR = "generator"
    VALIDATOR = "validator"
    REVISER = "reviser"
    DEDUP = "dedup"
    SINK = "sink"
    INGEST = "ingest"
    # A person in the review app (live review of a run).
    REVIEW = "review"


class Outcome(StrEnum):
    PLANNED = "planned"
    DRAFTED = "drafted"
    CHECKED = "checked"
    FAILED = "failed"
    REVIEWED = "reviewed"
    REPAIRED = "repaired"
    # Held for a person before acceptance (run with --review).
    AWAITING_REVIEW = "awaiting_review"
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"
    WRITTEN = "written"
