"""A one-to-four-sentence explanation of a built query: tables and joins, filters, grouping,
ordering, and what vague words in the question were taken to mean."""

from __future__ import annotations

import random

from shared.generation.template.words.meaning import Meaning
from shared.generation.template.words.question_parts import (
    Vocabulary,
    condition,
    fix_articles,
    join_words,
    metrics_phrase,
)

_SET_WORDS = {
    "UNION": "combines two branches with UNION (rows from either, without duplicates)",
    "UNION ALL": "appends a second branch with UNION ALL (duplicates kept)",
    "INTERSECT": "keeps only rows found by both branches (INTERSECT)",
    "EXCEPT": "removes the rows of the second branch from the first (EXCEPT)",
}


def explain(meaning: Meaning, rng: random.Random, *, vague: bool = False) -> str:
    """Explain the query; `vague` adds what the informal question's vague words meant."""
    vocab = Vocabulary()
    sentences: list[str] = []
    tables = list(dict.fromkeys(meaning.tables))
    if meaning.joins:
        sentences.append(f"The query reads {join_words(tables)}: it {join_words(meaning.joins)}.")
    elif tables:  # an INSERT … VALUES reads no table
        sentences.append(f"The query reads {join_words(tables)}.")
    conds = [condition(c, rng, vocab, terse=False) for c in meaning.filters]
    shaping: list[str] = []
    if conds:
        shaping.append(f"keeps {meaning.subject} {join_words(conds)}")
    if meaning.per:
        shaping.append(
            f"groups them by {join_words(meaning.per)} and computes "
            f"{metrics_phrase(meaning.metrics, rng, vocab)}"
        )
    elif meaning.metrics:
        shaping.append(f"computes {metrics_phrase(meaning.metrics, rng, vocab)}")
    if meaning.group_filters:
        having = [condition(c, rng, vocab, terse=False) for c in meaning.group_filters]
        shaping.append(f"keeps only groups {join_words(having)}")
    if meaning.details:
        shaping.append(f"adds {join_words(meaning.details)}")
    if meaning.set_op is not None:
        shaping.append(_SET_WORDS[meaning.set_op.op])
    if not shaping and meaning.kind == "rows" and meaning.shown:
        # No condition and no aggregate: say what each row shows, not only the table read.
        shaping.append(f"lists every {meaning.subject_one} with its {join_words(meaning.shown)}")
    if shaping:
        sentences.append(f"It {join_words(shaping)}.")
    sentences.append(_finish(meaning))
    notes = meaning.vague_notes() if vague else []
    if notes:
        sentences.append(("In the question, " + "; ".join(notes) + ".").replace("..", "."))
    if len(sentences) > 4:
        sentences = [*sentences[:2], " ".join(sentences[2:-1]), sentences[-1]]
    return fix_articles(" ".join(s for s in sentences if s))


def _finish(meaning: Meaning) -> str:
    parts: list[str] = []
    if meaning.steps:
        parts.append("it works in steps: " + ", then ".join(meaning.steps))
    if meaning.dml is not None:
        dml = meaning.dml
        verb = {
            "update": f"the UPDATE does this: {dml.change}",
            "delete": f"the DELETE removes the matching {dml.table_plural}",
            "insert": f"the INSERT copies the matching {dml.table_plural} ({dml.change})",
            "add": f"the INSERT adds one new {dml.table_noun} ({dml.change})",
        }
        parts.append(verb[dml.verb])
    if meaning.order is not None:
        direction = "descending" if meaning.order.desc else "ascending"
        text = f"results are sorted by {meaning.order.label} ({direction}), ties broken by key"
        if meaning.limit:
            text += f", and only the first {meaning.limit} are returned"
        parts.append(text)
    if meaning.distinct:
        parts.append("duplicates are removed with DISTINCT")
    if not parts:
        return ""
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."
