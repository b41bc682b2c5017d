"""Questions in the planned prompt style: the builder's meaning, frozen into the typed
`QuestionMeaning` and worded by the one realizer (`words.realize`).

Every filter value, grouping, ordering and limit of the SQL is named, except that the informal
style says "recent", "pricey" or "top" for some of them; the record's evidence then states
what those words were taken to mean.
"""

from __future__ import annotations

import random

from proto.common import PromptStyle
from shared.generation.template.words import Wording, freeze_meaning, realize
from shared.generation.template.words.meaning import Meaning
from shared.generation.template.words.phrases import plural
from shared.generation.template.words.question_parts import Vocabulary
from shared.spec.question_lead import Lead

__all__ = ["plural", "write_question"]


def write_question(
    meaning: Meaning,
    style: PromptStyle,
    rng: random.Random,
    vocab: Vocabulary,
    lead: Lead | None = None,
) -> str:
    wording = Wording(nouns=dict(vocab.nouns), labels=dict(vocab.labels))
    return realize(freeze_meaning(meaning), style, rng, wording, lead)
