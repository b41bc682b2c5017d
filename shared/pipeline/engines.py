"""Choose the draft engine by name, and give it what a service has: metrics and SQL engines.

    opened = await open_draft_engine("claude", metrics=metrics, tool_engines=[Engine.SQLITE])
    stage = GeneratorStage(opened.engine)
    ...
    await opened.aclose()            # the LLM client's connections, then the tool engines

The template engine needs none of it; the Claude engine is wired here (not in each service) so
the generator and the reviser get the same accounting and the same agent tools.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from proto.common import Engine
from proto.sample import TableRows, TokenCost
from shared.errors import EngineUnavailable, SqlsynthError
from shared.llm.ledger import UsageLedger, metrics_observer
from shared.metrics import Metrics
from shared.pipeline.engine_protocol import DraftEngine

if TYPE_CHECKING:  # the engines' drivers load only where a service really opens them
    from shared.engines.base import SqlEngine
    from shared.engines.settings import EngineSettings

log = logging.getLogger(__name__)

# The agent tool's signature (shared.generation.claude.tools.RunQuery), spelled out here so the
# template path does not import the Anthropic SDK.
RunQuery = Callable[[str, list[TableRows], str], Awaitable[str]]


def _template() -> DraftEngine:
    from shared.pipeline.template_adapter import TemplateDraftEngine

    return TemplateDraftEngine()


def _claude() -> DraftEngine:
    from shared.generation.claude.engine import build_claude_engine

    return build_claude_engine()


def _openai() -> DraftEngine:
    from shared.generation.claude.engine import build_openai_engine

    return build_openai_engine()


# "openai": the Claude engine's prompts and checks on an OpenAI-compatible endpoint.
DRAFT_ENGINES: dict[str, Callable[[], DraftEngine]] = {
    "template": _template,
    "claude": _claude,
    "openai": _openai,
}
# The engines that call a model (a preflight checks their key and model before a run).
LLM_ENGINES = frozenset({"claude", "openai"})


@runtime_checkable
class ToolUser(Protocol):
    """An engine whose model checks its SQL with a run_query tool (the Claude engine)."""

    run_query: RunQuery


@runtime_checkable
class Closable(Protocol):
    async def aclose(self) -> None: ...


def build_draft_engine(name: str) -> DraftEngine:
    try:
        factory = DRAFT_ENGINES[name]
    except KeyError as exc:
        raise ValueError(f"unknown generator {name!r}; known: {sorted(DRAFT_ENGINES)}") from exc
    return factory()


def spent_by(exc: BaseException) -> TokenCost:
    """What a failed engine operation had already spent (the project's errors carry it)."""
    return exc.cost if isinstance(exc, SqlsynthError) else TokenCost()


def observe_spend(engine: DraftEngine, metrics: Metrics) -> bool:
    """Count every priced LLM call of this engine in the service's token and dollar counters.

    The ledger sees every billed call, including work a rate limit or a crash threw away, so
    the Prometheus figures never under-report spend (envelopes carry only what samples kept).
    """
    ledger = getattr(getattr(engine, "client", None), "ledger", None)
    if not isinstance(ledger, UsageLedger):
        return False
    ledger.observer = metrics_observer(metrics)
    return True


@dataclass
class OpenedEngine:
    """A draft engine and the SQL engines opened for its tools: closed together at shutdown."""

    engine: DraftEngine
    tool_engines: dict[Engine, SqlEngine] = field(default_factory=dict)

    async def aclose(self) -> None:
        if isinstance(self.engine, Closable):
            await self.engine.aclose()
        if self.tool_engines:
            from shared.engines.registry import close_engines

            await close_engines(self.tool_engines)
        self.tool_engines = {}


async def attach_tool_engines(
    engine: DraftEngine, wanted: Sequence[Engine], settings: EngineSettings | None = None
) -> dict[Engine, SqlEngine]:
    """Back the model's run_query tool with the validation engines (Turing's HITL: run the query
    where it will be judged), so it sees each engine's error before the validator does.

    Returns what it opened. The tool is an aid, not a check: when the engines cannot be reached
    the engine keeps its in-memory SQLite tool and the service starts anyway.
    """
    if not wanted or not isinstance(engine, ToolUser):
        return {}
    from shared.engines.registry import EngineSettings, open_engines
    from shared.engines.validator import Validator
    from shared.generation.claude.tools import validator_run_query

    try:
        opened = await open_engines(settings or EngineSettings(), list(wanted))
    except EngineUnavailable as exc:
        log.warning("agent tools stay on in-memory SQLite: %s", exc)
        return {}
    engine.run_query = validator_run_query(Validator(opened))
    return opened


async def open_draft_engine(
    name: str,
    *,
    metrics: Metrics | None = None,
    tool_engines: Sequence[Engine] = (),
    engine_settings: EngineSettings | None = None,
) -> OpenedEngine:
    """The engine a service's stage uses, with its spend counted and its tools on real engines."""
    engine = build_draft_engine(name)
    if metrics is not None:
        observe_spend(engine, metrics)
    opened = OpenedEngine(engine)
    try:
        opened.tool_engines = await attach_tool_engines(engine, tool_engines, engine_settings)
    except BaseException:
        await opened.aclose()
        raise
    return opened
