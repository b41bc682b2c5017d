"""What a record's tables and columns are called in words: the template domain's own labels and
nouns when the record was drawn from a catalogue domain ("weight in kilograms", "checkouts"),
else the identifiers read as words (`weight_kg` "weight kg")."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from shared.evolution.context import owned, singular, words
from shared.generation.template.schema.catalogue import get_domain
from shared.generation.template.words import Wording
from shared.generation.template.words.question_parts import Vocabulary


@dataclass(frozen=True)
class Names:
    labels: dict[tuple[str, str], str] = field(default_factory=dict)
    nouns: dict[str, tuple[str, str]] = field(default_factory=dict)  # table -> (one, many)
    wording: Wording = field(default_factory=Wording)

    def many(self, table: str) -> str:
        return self.nouns[table][1] if table in self.nouns else words(table)

    def one(self, table: str) -> str:
        return self.nouns[table][0] if table in self.nouns else singular(words(table))

    def column(self, table: str, column: str) -> str:
        return self.labels.get((table, column)) or words(column)

    def label(self, table: str, column: str, main: str) -> str:
        """A column in words, with its table's noun unless it is the main table's."""
        own = self.column(table, column)
        return own if table == main else owned(self.one(table), own)


@cache
def names_of(domain: str) -> Names:
    """The domain's words, or the identifiers' when `domain` is not a catalogue domain."""
    try:
        found = get_domain(domain)
    except KeyError:
        return Names()
    labels = {(t.name, c.name): c.label for t in found.tables for c in t.columns}
    nouns = {t.name: (t.noun, t.plural) for t in found.tables}
    vocab = Vocabulary.build(found)
    return Names(labels, nouns, Wording(nouns=dict(vocab.nouns), labels=dict(vocab.labels)))


__all__ = ["Names", "names_of"]
