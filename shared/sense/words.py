"""Words of a question and of identifiers, compared loosely (stems, prefixes of abbreviations)."""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
# Identifier parts that name no particular thing: a column made only of these is judged apart.
GENERIC = frozenset(
    {"id", "name", "code", "no", "num", "key", "forename", "surname", "firstname", "lastname"}
)
# Short words that carry no meaning inside an identifier ("cost_of_treatment", "opened_on").
_STOP = frozenset({"of", "in", "on", "at", "by", "to", "the", "for", "per", "and"})
# Words a question uses for an identifier part it does not spell out.
SYNONYMS: dict[str, frozenset[str]] = {
    "age": frozenset({"old", "young", "older", "younger", "youngest", "oldest"}),
    "hometown": frozenset({"where", "from"}),
    "fname": frozenset({"first"}),
    "lname": frozenset({"last"}),
    "minute": frozenset({"time", "long", "duration"}),
    "hour": frozenset({"time", "long", "duration"}),
    "duration": frozenset({"time", "long", "playtime"}),
    "count": frozenset({"number", "many"}),
    "dob": frozenset({"birth", "born", "birthday"}),
}


def stem(word: str) -> str:
    if len(word) > 5 and word.endswith("ing"):
        return word[:-3]
    if len(word) > 5 and word.endswith("ed"):
        return word[:-2]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("sses", "ches", "shes", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def question_words(text: str) -> list[str]:
    return [stem(w) for w in _WORD.findall(text.lower())]


def identifier_words(name: str) -> list[str]:
    spaced = _CAMEL.sub("_", name)
    parts = re.split(r"[^A-Za-z0-9]+", spaced.lower())
    return [stem(p) for p in parts if len(p) > 1 and p not in _STOP]


def word_matches(token: str, words: set[str]) -> bool:
    if token in words or SYNONYMS.get(token, frozenset()) & words:
        return True
    # "indep" ~ "independence", "assign" ~ "assignment": the question's word may be longer.
    return len(token) >= 4 and any(w.startswith(token) for w in words)


def mentions(name: str, words: set[str]) -> bool | None:
    """Whether the question names an identifier: every specific part appears. None when the
    identifier is only generic parts (id, name), which the caller judges apart."""
    specific = [t for t in identifier_words(name) if t not in GENERIC]
    if not specific:
        return None
    return all(word_matches(t, words) for t in specific)


def mostly_mentions(name: str, words: set[str]) -> bool | None:
    """At least half of the identifier's specific parts appear (a looser `mentions`)."""
    specific = [t for t in identifier_words(name) if t not in GENERIC]
    if not specific:
        return None
    said = sum(word_matches(t, words) for t in specific)
    return 2 * said >= len(specific)
