"""The offline template engine behind the async DraftEngine protocol (no tokens, no cost)."""

from __future__ import annotations

from proto.sample import Blueprint, Draft, Feedback, TokenCost
from shared.generation.template.engine import TemplateEngine


class TemplateDraftEngine:
    name = "template"

    def __init__(self, engine: TemplateEngine | None = None) -> None:
        self.engine = engine or TemplateEngine()

    async def generate(self, blueprint: Blueprint, *, seed: int) -> tuple[Draft, TokenCost]:
        return self.engine.generate(blueprint, seed=seed), TokenCost()

    async def repair(
        self, blueprint: Blueprint, draft: Draft, feedback: list[Feedback], *, seed: int
    ) -> tuple[Draft, TokenCost]:
        return self.engine.repair(blueprint, draft, feedback, seed=seed), TokenCost()
