"""What the generator and reviser need from a generation engine (template or Claude)."""

from __future__ import annotations

from typing import Protocol

from proto.sample import Blueprint, Draft, Feedback, TokenCost


class DraftEngine(Protocol):
    name: str

    async def generate(self, blueprint: Blueprint, *, seed: int) -> tuple[Draft, TokenCost]: ...

    async def repair(
        self, blueprint: Blueprint, draft: Draft, feedback: list[Feedback], *, seed: int
    ) -> tuple[Draft, TokenCost]: ...
