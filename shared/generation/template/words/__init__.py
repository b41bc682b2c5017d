"""Words: the typed meaning of a query and the one realizer that turns it into a question.

    meaning (meaning.py: Meaning, filled by the builder)
        -> freeze_meaning -> QuestionMeaning (intent.py: enums and frozen dataclasses)
        -> realize(meaning, style, rng) -> str (realize.py; DML asks in changes.py)

Other generators (the evolver, the expander) build a `QuestionMeaning` and call `realize`.
"""

from __future__ import annotations

from shared.generation.template.words.freeze import freeze_meaning
from shared.generation.template.words.intent import (
    Agg,
    Change,
    ChangeKind,
    Combine,
    Filter,
    Intent,
    Measure,
    Op,
    QuestionMeaning,
    Ranking,
    SetCombination,
    ValueKind,
)
from shared.generation.template.words.realize import Wording, realize

__all__ = [
    "Agg",
    "Change",
    "ChangeKind",
    "Combine",
    "Filter",
    "Intent",
    "Measure",
    "Op",
    "QuestionMeaning",
    "Ranking",
    "SetCombination",
    "ValueKind",
    "Wording",
    "freeze_meaning",
    "realize",
]
