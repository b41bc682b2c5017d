"""Outline, then sections (DataFramer's "outlining and modular generation"), in two turns.

The design turn answers outline, schema and rows through one tool, in that order, so each part
is still written against the parts before it; the query turn answers the SQL (checked with agent
tools, as in Turing's HITL guide), the rows it needs added, the question and the explanation.
Why two turns and not six: every call re-reads the whole conversation and waits a full round
trip, and the sections were strictly sequential — six calls per draft made the Claude path cost
7.7 calls per accepted sample. Rows can be added by the query turn, so a non-empty result no
longer depends on the design's foresight. A seed's SQL (blueprint.seed_sql, e.g. from a trace)
is kept by the query turn, which words it, then a consistency check (SQL-Factory).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import Literal, TypeVar

from proto.common import Engine, SeedMode
from proto.sample import Blueprint, Draft, TableRows
from shared.errors import GenerationError
from shared.generation.claude.conversation import Conversation, make_text_block
from shared.generation.claude.domains import SettingTally
from shared.generation.claude.prompts import SECTION_INSTRUCTIONS, SYSTEM_PROMPT
from shared.generation.claude.render import render_blueprint, render_guidelines
from shared.generation.claude.schemas import (
    Answer,
    DesignAnswer,
    NewSchemaDesign,
    QueryAnswer,
    RowsTable,
    build_tools,
    rows_to_scalars,
)
from shared.generation.claude.steps import Spend, StepRunner
from shared.generation.claude.tools import RunQuery, ToolBox

A = TypeVar("A", bound=Answer)

SEED_SQL_INSTRUCTION = (
    "The query is given in <seed_sql>: keep its intent and shape, and change it only as much as "
    "the schema and the portability rules require; then write the question a person would ask "
    "to get exactly its result, in the planned style, and its explanation. Call submit_query."
)
BACK_TRANSLATION_INSTRUCTION = (
    "Write the question a person would ask to get exactly this query's result, in the planned "
    "style, and the explanation of the query. Call submit_back_translation."
)


# The sections in order; each is answered through the tool `submit_<name>`.
SECTIONS: tuple[str, ...] = ("design", "query")


def keeps_seed_sql(blueprint: Blueprint) -> bool:
    """A seed whose SQL is the sample's (back-translation), not only its example (expansion)."""
    return bool(blueprint.seed_sql) and blueprint.seed_mode is not SeedMode.EXPAND


def derive_variation(seed: int) -> int:
    return seed % 1_000_000_007


def to_table_rows(tables: list[RowsTable]) -> list[TableRows]:
    return [
        TableRows(table=t.table, columns=t.columns, values=rows_to_scalars(t.values))
        for t in tables
    ]


def add_rows(rows: list[TableRows], added: list[RowsTable] | None) -> list[TableRows]:
    """The design's rows plus the rows the query turn added, aligned by column name."""
    merged = {t.table: t for t in rows}
    order = [t.table for t in rows]
    for extra in added or []:
        current = merged.get(extra.table)
        if current is None:
            merged[extra.table] = to_table_rows([extra])[0]
            order.append(extra.table)
            continue
        unknown = [c for c in extra.columns if c not in current.columns]
        if unknown:
            raise GenerationError(
                f"added rows for {extra.table} name columns it lacks: {', '.join(unknown)}"
            )
        given = {name: i for i, name in enumerate(extra.columns)}
        positions = [given.get(c) for c in current.columns]
        values = [
            [row[i] if i is not None else None for i in positions]
            for row in rows_to_scalars(extra.values)
        ]
        merged[extra.table] = current.model_copy(update={"values": [*current.values, *values]})
    return [merged[name] for name in order]


def describe_plan(design: DesignAnswer, query: QueryAnswer) -> str:
    return f"setting: {design.setting}. plan: {design.sql_plan}. sql: {query.reasoning}"


def assemble(
    blueprint: Blueprint,
    *,
    ddl: str,
    rows: list[TableRows],
    sql: str,
    question: str,
    explanation: str,
    reasoning: str,
) -> Draft:
    return Draft(
        domain=blueprint.domain,
        schema_ddl=ddl,
        rows=rows,
        sql=sql,
        # Portable SQL is written to run unchanged everywhere; SQLite is its canonical reading.
        sql_dialect=Engine.SQLITE,
        question=question,
        prompt_style=blueprint.prompt_style,
        explanation=explanation,
        task_type=blueprint.task_type,
        complexity=blueprint.complexity,
        sql_complexity=blueprint.sql_complexity,
        reasoning=reasoning,
        engine="claude",
    )


class DraftWriter:
    def __init__(
        self,
        runner: StepRunner,
        run_query: RunQuery,
        *,
        max_tool_calls: int,
        tally: SettingTally,
        cache_ttl: Literal["5m", "1h"] = "5m",
    ) -> None:
        self.runner, self.run_query = runner, run_query
        self.max_tool_calls, self.tally = max_tool_calls, tally
        self.cache_ttl = cache_ttl
        # Per sample (domain, seed): its avoid list, and whether its setting was counted.
        self._samples: OrderedDict[tuple[str, int], tuple[list[str], bool]] = OrderedDict()

    async def _avoid_for(self, domain: str, seed: int) -> list[str]:
        """The avoid list of a sample, fixed at its first delivery: a redelivered sample must
        send byte-identical prompts, or the reply memo (and the prompt cache) would miss."""
        key = (domain, seed)
        if key not in self._samples:
            await self.tally.refresh(domain)
            self._samples[key] = (self.tally.avoid(domain), False)
            while len(self._samples) > 4096:
                self._samples.popitem(last=False)
        return self._samples[key][0]

    async def _count_setting(self, domain: str, seed: int, setting: str) -> None:
        """Count a sample's setting once, however often it is redelivered."""
        avoid, counted = self._samples.get((domain, seed), ([], False))
        if not counted:
            self._samples[(domain, seed)] = (avoid, True)
            await self.tally.record(domain, setting)

    def start_conversation(self) -> Conversation:
        return Conversation(SYSTEM_PROMPT, build_tools(), cache_ttl=self.cache_ttl)

    async def write(
        self, blueprint: Blueprint, seed: int, spend: Spend, guidelines: Sequence[str] = ()
    ) -> Draft:
        conv = self.start_conversation()
        avoid = await self._avoid_for(blueprint.domain, seed)
        plan = render_blueprint(blueprint, derive_variation(seed), avoid)
        # The run's reviewer guidelines ride in the first turn, not the system prompt: the
        # system prompt stays one cached prefix for every run.
        extra = render_guidelines(guidelines)
        conv.user(make_text_block(plan + ("\n" + extra if extra else "")))
        toolbox = ToolBox(self.run_query, self.max_tool_calls)

        async def section(
            name: str, answer: type[A], *, tools: bool = False, last: bool = False
        ) -> A:
            instruction = SECTION_INSTRUCTIONS[name]
            if name == "query" and keeps_seed_sql(blueprint):
                instruction = SEED_SQL_INSTRUCTION
            conv.user(make_text_block(instruction))
            return await self.runner.ask(
                conv,
                name,
                f"submit_{name}",
                answer,
                spend=spend,
                toolbox=toolbox if tools else None,
                last=last,
            )

        # A seed's schema is the users' own: written on as given, never rewritten by the model.
        design = await section("design", DesignAnswer if blueprint.seed_schema else NewSchemaDesign)
        await self._count_setting(blueprint.domain, seed, design.setting)
        toolbox.ddl = blueprint.seed_schema or design.ddl or ""
        toolbox.rows = to_table_rows(design.rows)
        query = await section("query", QueryAnswer, tools=True, last=True)
        return assemble(
            blueprint,
            ddl=toolbox.ddl,
            rows=add_rows(toolbox.rows, query.added_rows),
            sql=query.sql,
            question=query.question,
            explanation=query.explanation,
            reasoning=describe_plan(design, query),
        )
