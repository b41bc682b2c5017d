"""What the generator and reviser need from a generation engine (template or Claude)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from proto.sample import Blueprint, Draft, Feedback, TableRows, TokenCost


class DraftEngine(Protocol):
    name: str

    async def generate(self, blueprint: Blueprint, *, seed: int) -> tuple[Draft, TokenCost]: ...

    async def repair(
        self, blueprint: Blueprint, draft: Draft, feedback: list[Feedback], *, seed: int
    ) -> tuple[Draft, TokenCost]: ...


@runtime_checkable
class BackTranslator(Protocol):
    """An engine that can word a kept SQL (SQL-Factory's SQL-to-NL step): the Claude engine."""

    async def back_translate(
        self,
        blueprint: Blueprint,
        *,
        schema_ddl: str,
        sql: str,
        seed: int,
        rows: list[TableRows] | None = None,
    ) -> tuple[Draft, TokenCost]: ...
