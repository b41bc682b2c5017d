"""Outline, then sections (seed 000's "outlining and modular generation"), in one conversation.

Each section is a turn whose answer comes through its own tool; the conversation carries every
earlier section, so the schema is written against the outline, the rows against the schema, the
SQL against the rows (checked with the agent tools, seed 001), the question against the SQL, and
the explanation against both. A SQL-only seed (blueprint.seed_sql, e.g. from a trace) keeps its
query and gets its question by back-translation, then a consistency check (seed 003).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from proto.common import Engine
from proto.sample import Blueprint, Draft, TableRows
from shared.generation.claude.conversation import Conversation, text_block
from shared.generation.claude.domains import SettingTally
from shared.generation.claude.prompts import SECTION_INSTRUCTIONS, SYSTEM_PROMPT
from shared.generation.claude.render import render_blueprint
from shared.generation.claude.schemas import (
    Answer,
    BackTranslationAnswer,
    ExplanationAnswer,
    OutlineAnswer,
    QuestionAnswer,
    RowsAnswer,
    RowsTable,
    SchemaAnswer,
    SqlAnswer,
    all_tools,
    rows_to_scalars,
)
from shared.generation.claude.steps import Spend, StepRunner
from shared.generation.claude.tools import RunQuery, ToolBox

SEED_SQL_INSTRUCTION = (
    "The query is given in <seed_sql>: keep its intent and shape, and change it only as much as "
    "the schema and the portability rules require. Call submit_sql."
)
BACK_TRANSLATION_INSTRUCTION = (
    "Write the question a person would ask to get exactly this query's result, in the planned "
    "style, and the explanation of the query. Call submit_back_translation."
)


@dataclass(frozen=True)
class Section:
    name: str
    submit: str
    answer: type[Answer]
    agent_tools: bool = False


SECTIONS: tuple[Section, ...] = (
    Section("outline", "submit_outline", OutlineAnswer),
    Section("schema", "submit_schema", SchemaAnswer),
    Section("rows", "submit_rows", RowsAnswer),
    Section("sql", "submit_sql", SqlAnswer, agent_tools=True),
    Section("question", "submit_question", QuestionAnswer),
    Section("explanation", "submit_explanation", ExplanationAnswer),
)


def variation_of(seed: int) -> int:
    return seed % 1_000_000_007


def table_rows(tables: list[RowsTable]) -> list[TableRows]:
    return [TableRows(table=t.table, columns=t.columns, values=rows_to_scalars(t.values))
            for t in tables]


@dataclass
class Written:
    """The sections answered so far (by name)."""

    answers: dict[str, Answer] = field(default_factory=dict)

    def get(self, name: str, kind: type[Answer]) -> Answer:
        answer = self.answers[name]
        assert isinstance(answer, kind)
        return answer


def assemble(blueprint: Blueprint, written: Written, *, question: str, explanation: str) -> Draft:
    outline = written.get("outline", OutlineAnswer)
    schema = written.get("schema", SchemaAnswer)
    rows = written.get("rows", RowsAnswer)
    sql = written.get("sql", SqlAnswer)
    assert isinstance(outline, OutlineAnswer) and isinstance(schema, SchemaAnswer)
    assert isinstance(rows, RowsAnswer) and isinstance(sql, SqlAnswer)
    return Draft(
        domain=blueprint.domain,
        schema_ddl=schema.ddl,
        rows=table_rows(rows.tables),
        sql=sql.sql,
        # Portable SQL is written to run unchanged everywhere; SQLite is its canonical reading.
        sql_dialect=Engine.SQLITE,
        question=question,
        prompt_style=blueprint.prompt_style,
        explanation=explanation,
        task_type=blueprint.task_type,
        complexity=blueprint.complexity,
        sql_complexity=blueprint.sql_complexity,
        reasoning=f"setting: {outline.setting}. plan: {outline.sql_plan}. sql: {sql.reasoning}",
        engine="claude",
    )


class DraftWriter:
    def __init__(
        self, runner: StepRunner, run_query: RunQuery, *, max_tool_calls: int,
        tally: SettingTally, cache_ttl: str = "5m",
    ) -> None:
        self.runner, self.run_query = runner, run_query
        self.max_tool_calls, self.tally = max_tool_calls, tally
        self.cache_ttl = cache_ttl

    def conversation(self) -> Conversation:
        ttl = "1h" if self.cache_ttl == "1h" else "5m"
        return Conversation(SYSTEM_PROMPT, all_tools(), cache_ttl=ttl)

    async def write(self, blueprint: Blueprint, seed: int, spend: Spend) -> Draft:
        conv = self.conversation()
        avoid = self.tally.avoid(blueprint.domain)
        conv.user(text_block(render_blueprint(blueprint, variation_of(seed), avoid)))
        toolbox = ToolBox(self.run_query, self.max_tool_calls)
        written = Written()
        sections = SECTIONS[:4] if blueprint.seed_sql else SECTIONS
        for section in sections:
            instruction = SECTION_INSTRUCTIONS[section.name]
            if section.name == "sql" and blueprint.seed_sql:
                instruction = SEED_SQL_INSTRUCTION
            conv.user(text_block(instruction))
            answer = await self.runner.ask(
                conv, section.name, section.submit, section.answer, spend=spend,
                toolbox=toolbox if section.agent_tools else None,
            )
            written.answers[section.name] = answer
            if isinstance(answer, SchemaAnswer):
                toolbox.ddl = answer.ddl
            elif isinstance(answer, RowsAnswer):
                toolbox.rows = table_rows(answer.tables)
            elif isinstance(answer, OutlineAnswer):
                self.tally.add(blueprint.domain, answer.setting)
        if blueprint.seed_sql:
            conv.user(text_block(BACK_TRANSLATION_INSTRUCTION))
            pair = await self.runner.ask(conv, "back_translation", "submit_back_translation",
                                         BackTranslationAnswer, spend=spend)
            assert isinstance(pair, BackTranslationAnswer)
            return assemble(blueprint, written, question=pair.question,
                            explanation=pair.explanation)
        question = written.get("question", QuestionAnswer)
        explanation = written.get("explanation", ExplanationAnswer)
        assert isinstance(question, QuestionAnswer) and isinstance(explanation, ExplanationAnswer)
        return assemble(blueprint, written, question=question.question,
                        explanation=explanation.explanation)
