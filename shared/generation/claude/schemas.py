"""What the model answers, as pydantic models, and the tools it answers through.

Structured output is tool use with `strict: true` (schema-constrained input), not the API's
`output_config.format`: the tool list is part of the cached prompt prefix and stays identical
for every call (all sections, the judge, repair), while a different output format per section
would change the prompt and invalidate the cache. Forcing the section's tool via `tool_choice`
only invalidates the message part of the cache, not tools and system. The pydantic models are
still checked on every answer: they carry rules a JSON schema cannot (row widths, a failing
verdict must give reasons), and the fake server breaks tool input on purpose.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import anthropic
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from proto.sample import Scalar

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OutlineTable(Answer):
    name: Text = Field(description="snake_case table name")
    purpose: Text
    key_columns: list[str] = Field(description="the columns the query will rely on")


class RowsTable(Answer):
    table: Text
    columns: list[str] = Field(min_length=1)
    values: list[list[str | int | float | None]] = Field(min_length=1)

    @model_validator(mode="after")
    def check_widths(self) -> RowsTable:
        width = len(self.columns)
        for i, row in enumerate(self.values):
            if len(row) != width:
                raise ValueError(
                    f"table {self.table}: row {i} has {len(row)} values for {width} columns"
                )
        return self


class RowsAnswer(Answer):
    tables: list[RowsTable] = Field(min_length=1, description="every table, parents first")


class DesignAnswer(Answer):
    """The first call of a sample: outline, schema and rows in one answer (they were three
    sequential calls, each re-reading the conversation)."""

    setting: Text = Field(description="the concrete setting inside the planned domain")
    tables: list[OutlineTable] = Field(min_length=1)
    relationships: list[str] = Field(description="'child.fk_column -> parent.id' per foreign key")
    intent: Text = Field(description="what the person asking wants to know, in plain words")
    sql_plan: Text = Field(description="how the query will use the planned features and joins")
    ddl: str | None = Field(
        description="CREATE TABLE statements, parents first, each ending with ';'; null only "
        "when the schema is given in <seed_schema>"
    )
    rows: list[RowsTable] = Field(min_length=1, description="every table's rows, parents first")


class NewSchemaDesign(DesignAnswer):
    """A design without a seed schema must write its DDL (checked on the answer, so a missing
    DDL is re-asked with the reason like any malformed answer)."""

    @model_validator(mode="after")
    def check_ddl(self) -> NewSchemaDesign:
        if not (self.ddl or "").strip():
            raise ValueError("ddl is required: no schema was given in <seed_schema>")
        return self


class QueryAnswer(Answer):
    """The second call: the SQL, rows it needs, then the question and explanation written for it."""

    reasoning: Text = Field(description="a short plan: tables, joins, filters, features")
    sql: Text = Field(description="one portable SQL statement, no trailing comment")
    added_rows: list[RowsTable] | None = Field(
        description="whole rows to add (columns named) so the query returns a meaningful "
        "non-empty result; null when the rows already do"
    )
    question: Text = Field(description="the question this SQL answers, in the planned style")
    explanation: Text = Field(description="how this SQL answers the question")


class RepairAnswer(Answer):
    diagnosis: Text = Field(description="what was wrong and what the minimal edit changes")
    ddl: str | None = Field(description="the full corrected DDL, or null if unchanged")
    rows: list[RowsTable] | None = Field(description="all tables' rows, or null if unchanged")
    sql: str | None = Field(description="the corrected SQL, or null if unchanged")
    question: str | None = Field(description="the corrected question, or null if unchanged")
    explanation: str | None = Field(description="the corrected explanation, or null")

    def changes(self) -> dict[str, Any]:
        fields = ("ddl", "rows", "sql", "question", "explanation")
        return {name: getattr(self, name) for name in fields if getattr(self, name) is not None}


class ReviewAnswer(Answer):
    reasoning: Text = Field(description="step-by-step check, written before the verdict")
    sql: str | None = Field(
        description="your own SQL for the question, from the schema and rows alone; null "
        "only when no query is asked for"
    )
    verdict: Literal["pass", "fail"]
    reasons: list[str] = Field(description="each concrete disagreement; empty when passing")

    @model_validator(mode="after")
    def check_reasons(self) -> ReviewAnswer:
        if self.verdict == "fail" and not any(r.strip() for r in self.reasons):
            raise ValueError("a failing verdict must give at least one reason")
        return self


class BackTranslationAnswer(Answer):
    question: Text
    explanation: Text


class InspectSchemaInput(Answer):
    table: str | None = Field(description="a table name, or null for every table")


class RunQueryInput(Answer):
    sql: Text


SUBMIT_TOOLS: dict[str, tuple[type[Answer], str]] = {
    "submit_design": (
        DesignAnswer,
        "Submit the outline, the schema DDL and the rows of every table of the sample.",
    ),
    "submit_query": (
        QueryAnswer,
        "Submit the final SQL query, any rows it needs added, the question it answers and the "
        "explanation.",
    ),
    "submit_rows": (RowsAnswer, "Submit the rows of every table."),
    "submit_repair": (RepairAnswer, "Submit a minimal repair of the sample."),
    "submit_review": (
        ReviewAnswer,
        "Submit a review: your reasoning, your own SQL for the question, a verdict with reasons.",
    ),
    "submit_back_translation": (
        BackTranslationAnswer,
        "Submit a question and explanation written for a given SQL query.",
    ),
}
AGENT_TOOLS: dict[str, tuple[type[Answer], str]] = {
    "inspect_schema": (
        InspectSchemaInput,
        "Show the DDL and the first rows of a table (or all tables) of the current sample.",
    ),
    "run_query": (
        RunQueryInput,
        "Run one SQL statement on the current sample's schema and "
        "rows on the validation engines; returns the first 10 rows or the error, per "
        "engine.",
    ),
}


def make_tool_param(name: str, model: type[Answer], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "description": description,
        "input_schema": anthropic.transform_schema(model),
        "strict": True,
    }


def build_tools() -> list[dict[str, Any]]:
    """Every tool, in a fixed order: one prompt prefix for every call (see module docstring)."""
    tools = {**AGENT_TOOLS, **SUBMIT_TOOLS}
    return [make_tool_param(name, model, text) for name, (model, text) in tools.items()]


def rows_to_scalars(values: list[list[str | int | float | None]]) -> list[list[Scalar]]:
    return [list(row) for row in values]
