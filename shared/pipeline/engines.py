"""Choose the draft engine by name (template now; Claude registers here when configured)."""

from __future__ import annotations

from collections.abc import Callable

from shared.pipeline.engine_protocol import DraftEngine


def _template() -> DraftEngine:
    from shared.pipeline.template_adapter import TemplateDraftEngine

    return TemplateDraftEngine()


def _claude() -> DraftEngine:
    from shared.generation.claude.engine import build_claude_engine

    return build_claude_engine()


DRAFT_ENGINES: dict[str, Callable[[], DraftEngine]] = {"template": _template, "claude": _claude}


def build_draft_engine(name: str) -> DraftEngine:
    try:
        return DRAFT_ENGINES[name]()
    except KeyError as exc:
        raise ValueError(f"unknown generator {name!r}; known: {sorted(DRAFT_ENGINES)}") from exc
