"""The sample envelope: one versioned message that travels through every stage."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Literal

from pydantic import Field

from proto.common import (
    SCHEMA_VERSION,
    Agreement,
    Complexity,
    Engine,
    EvolutionOperator,
    ExpansionKind,
    JoinKind,
    Level,
    Outcome,
    Policy,
    PromptStyle,
    ReviewMode,
    SeedMode,
    SqlFeature,
    Stage,
    TaskType,
)
from proto.contract import Contract
from proto.sense import SenseCheck, SenseVerdict

Scalar = str | int | float | bool | None


def utc_now() -> datetime:
    return datetime.now(UTC)


class Blueprint(Contract):
    """The properties planned for one sample, drawn from the spec before anything is written."""

    domain: str
    task_type: TaskType = TaskType.RETRIEVAL
    complexity: Complexity = Complexity.MEDIUM
    prompt_style: PromptStyle = PromptStyle.DIRECT
    num_tables: int = Field(default=1, ge=1, le=8)
    join_kind: JoinKind | None = None
    features: list[SqlFeature] = Field(default_factory=list)
    # Gretel-compatible label (e.g. "multiple_joins", "window functions").
    sql_complexity: str = "basic SQL"
    schema_id: str | None = None
    tables: list[str] = Field(default_factory=list)
    seed_id: str | None = None
    seed_sql: str | None = None
    # A sample planned from a seed: the seed's schema (given or inferred DDL) is the schema to
    # write on, and the mode says whether the seed's SQL is kept or only serves as the example.
    seed_schema: str | None = None
    seed_mode: SeedMode | None = None
    # SQL of the run's seeds on the same schema (sorted, capped): the example values every sample
    # on that schema shares, so they share one generated fixture too.
    seed_examples: list[str] = Field(default_factory=list)
    # Every spec property as sampled, by name: the conformance check and the report read these.
    properties: dict[str, Scalar] = Field(default_factory=dict)
    # An evolved sample (EvolSQL §4.2): the accepted sample it was evolved from, and every
    # operator applied since the first generation, oldest first (its lineage).
    parent_id: str | None = None
    evolution: list[EvolutionOperator] = Field(default_factory=list)
    # An expansion of an explore-expand run (seed_mode PATTERN): what it varied of its parent.
    expansion: ExpansionKind | None = None


class ValueSource(StrEnum):
    """Where the values of one fixture column came from (recorded per column in each draft)."""

    # Rows sampled from the user's database (`--values-from`: a SQLite file or a DSN).
    DATABASE = "database"
    # INSERT rows that came with the seed's schema (Gretel's sql_context).
    SEED_ROWS = "seed_rows"
    # Literals of the seeds' SQL (`status = 'shipped'`).
    SEED_LITERALS = "seed_literals"
    # Example values quoted in the schema's comments (BIRD's schema files).
    SCHEMA_COMMENT = "schema_comment"
    # The template catalogue's curated value lists (catalogue domains only).
    CATALOGUE = "catalogue"
    # Faker's providers in the row's locale (names, companies, e-mails).
    FAKER = "faker"
    # The engine's own word lists (made-up titles, generic categories, cities and countries).
    WORD_LIST = "word_list"
    # A code pattern ('ID-######', the shape of an example value).
    PATTERN = "pattern"
    # Numbers and dates drawn in a range (the seeds' values widen it when there are any).
    RANGE = "range"
    # Keys and foreign keys, numbered by the engine.
    KEY = "key"


class TableRows(Contract):
    table: str
    columns: list[str]
    values: list[list[Scalar]]


class Draft(Contract):
    """What a generator wrote. `sql` is the canonical text in `sql_dialect`."""

    domain: str
    schema_ddl: str
    rows: list[TableRows] = Field(default_factory=list)
    sql: str
    sql_dialect: Engine = Engine.SQLITE
    sql_by_dialect: dict[Engine, str] = Field(default_factory=dict)
    # The schema and rows as each engine read them (DDL in its quoting, then INSERTs): what a
    # user loads to run sql_by_dialect[engine]. Filled by the validator next to sql_by_dialect.
    sql_context_by_dialect: dict[Engine, str] = Field(default_factory=dict)
    question: str
    prompt_style: PromptStyle
    explanation: str
    task_type: TaskType
    complexity: Complexity
    sql_complexity: str = "basic SQL"
    reasoning: str | None = None
    engine: str = "template"
    # What a vague word of the question was taken to mean ("recent" means on or after
    # 2024-06-01), as BIRD's evidence field: the question stays natural, the SQL exact.
    evidence: str = ""
    # The schema instance the draft was built on (a template engine `domain#variant` or
    # `seed-<digest>#n`), so a repair finds it again without comparing rows.
    schema_id: str = ""
    # Per fixture column ("table.column"), where its values came from.
    value_sources: dict[str, list[ValueSource]] = Field(default_factory=dict)
    # Sampled values the privacy scrub replaced with generated ones, by kind ("email", "name").
    scrubbed_values: dict[str, int] = Field(default_factory=dict)


class ErrorClass(StrEnum):
    """Why a check failed. `retryable` ones say nothing about the SQL (see proto.errors)."""

    SYNTAX = "syntax_error"
    SCHEMA = "schema_error"
    QUERY = "query_error"
    FORBIDDEN = "forbidden"
    TIMEOUT = "timeout"
    TOO_MANY_ROWS = "too_many_rows"
    # A result, fixture or value past its byte budget (EngineSettings.max_*_bytes).
    TOO_LARGE = "too_large"
    EMPTY_RESULT = "empty_result"
    ENGINE_MISMATCH = "engine_mismatch"
    NONCONFORMANT = "nonconformant"
    ENGINE_UNAVAILABLE = "engine_unavailable"
    MALFORMED = "malformed"
    REVIEW = "review_failed"
    # An error-level sense finding (docs/sense.md): the SQL runs but does not mean what it should.
    SENSE = "sense_error"
    DUPLICATE = "duplicate"
    GENERATION = "generation_error"
    LLM = "llm_error"


class EngineCheck(Contract):
    """One engine's verdict on one sample at one level."""

    engine: Engine
    level: Level
    ok: bool
    error_class: ErrorClass | None = None
    message: str | None = None
    sql: str = ""
    row_count: int | None = None
    digest: str | None = None
    ordered: bool = False
    elapsed_ms: float = 0.0


class ConformanceDiff(Contract):
    """A planned property the draft does not have (or has against the plan)."""

    property: str
    planned: Scalar | list[str]
    measured: Scalar | list[str]


class DisagreementKind(StrEnum):
    """Why engines can legitimately return different results for the same query."""

    # MySQL's default collation compares and sorts text case- and accent-insensitively.
    TEXT_COLLATION = "text_collation"
    # PostgreSQL sorts NULLs last in ascending order, SQLite and MySQL first.
    NULL_ORDERING = "null_ordering"
    # SQLite and PostgreSQL truncate integer / integer, MySQL's / is exact.
    INTEGER_DIVISION = "integer_division"
    # None of the known causes is present in the query and data.
    UNEXPLAINED = "unexplained"


class Disagreement(Contract):
    """Engines ran the query and disagree: the groups of equal results and the likely causes."""

    groups: list[list[Engine]]
    kinds: list[DisagreementKind]
    # Data that shows a cause, e.g. two values equal under MySQL's collation ("Ann", "ann").
    examples: list[str] = Field(default_factory=list)


class Validation(Contract):
    level: Level = Level.FULL
    policy: Policy = Policy.PORTABLE
    checks: list[EngineCheck] = Field(default_factory=list)
    non_empty: bool | None = None
    results_agree: bool | None = None
    # Set when results_agree is False: which engines agree with which, and why they may not.
    disagreement: Disagreement | None = None
    conformance: list[ConformanceDiff] = Field(default_factory=list)
    # Measured SQL features of the draft (the extractor's summary), for review and the report.
    measured: dict[str, Scalar] = Field(default_factory=dict)
    # The sense checks' verdict, after execution (None when they did not run).
    sense: SenseVerdict | None = None

    @property
    def ok(self) -> bool:
        return (
            all(c.ok for c in self.checks)
            and self.non_empty is not False
            and self.results_agree is not False
            and not self.conformance
            and not (self.sense is not None and self.sense.errors)
        )


class Review(Contract):
    verdict: Literal["pass", "fail"]
    reasons: list[str] = Field(default_factory=list)
    reviewer: str = "rules"
    # The judge's own SQL for the question (written without seeing the sample's) and how its
    # result compared with the sample's on the sample's data.
    judge_sql: str | None = None
    agreement: Agreement | None = None


class DedupVerdict(Contract):
    duplicate: bool
    layer: str | None = None
    nearest_sample_id: str | None = None
    scores: dict[str, float] = Field(default_factory=dict)


class TokenCost(Contract):
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0
    usd: float = 0.0
    # Calls that re-asked for an answer cut off at max_tokens or failing its schema (their
    # tokens are in the figures above): a sample kept by a retry still shows what it cost.
    answer_retries: int = 0

    def add(self, other: TokenCost) -> TokenCost:
        return TokenCost(
            calls=self.calls + other.calls,
            answer_retries=self.answer_retries + other.answer_retries,
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cache_creation_input_tokens=self.cache_creation_input_tokens
            + other.cache_creation_input_tokens,
            cache_read_input_tokens=self.cache_read_input_tokens + other.cache_read_input_tokens,
            usd=self.usd + other.usd,
        )


class HistoryEntry(Contract):
    stage: Stage
    outcome: Outcome
    attempt: int
    reason: str | None = None
    error_class: ErrorClass | None = None
    # The sense checks that failed the sample at this step (error_class SENSE).
    checks: list[SenseCheck] = Field(default_factory=list)
    at: datetime = Field(default_factory=utc_now)


class Feedback(Contract):
    """A concrete reason a draft must change, handed to the reviser."""

    error_class: ErrorClass
    message: str
    engine: Engine | None = None
    check: SenseCheck | None = None


class SampleEnvelope(Contract):
    kind: Literal["sample"] = "sample"
    schema_version: int = SCHEMA_VERSION
    run_id: str
    sample_id: str
    attempt: int = Field(default=1, ge=1)
    max_attempts: int = Field(default=3, ge=1)
    # What the sample must pass, copied from the run request by the planner.
    engines: list[Engine] = Field(default_factory=lambda: list(Engine))
    level: Level = Level.FULL
    policy: Policy = Policy.PORTABLE
    review_mode: ReviewMode = ReviewMode.OFF
    blueprint: Blueprint
    draft: Draft | None = None
    validation: Validation | None = None
    feedback: list[Feedback] = Field(default_factory=list)
    review: Review | None = None
    dedup: DedupVerdict | None = None
    cost: TokenCost = Field(default_factory=TokenCost)
    history: list[HistoryEntry] = Field(default_factory=list)

    def record(
        self,
        stage: Stage,
        outcome: Outcome,
        reason: str | None = None,
        error_class: ErrorClass | None = None,
        checks: list[SenseCheck] | None = None,
    ) -> SampleEnvelope:
        """Append a history entry (mutates and returns self, for chaining in handlers)."""
        self.history.append(
            HistoryEntry(
                stage=stage,
                outcome=outcome,
                attempt=self.attempt,
                reason=reason,
                error_class=error_class,
                checks=checks or [],
            )
        )
        return self

    def message_id(self, outcome: Outcome) -> str:
        """Idempotency key for JetStream (Nats-Msg-Id): one publish per sample, attempt, outcome."""
        return f"{self.run_id}:{self.sample_id}:{self.attempt}:{outcome.value}"
