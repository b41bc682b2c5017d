"""Seed text columns whose values have a form their name or examples give away: yes/no flags and
markup (tag lists, XML fragments).

Spider's `Dogs.abandoned_yn` and `countrylanguage.IsOfficial` are yes/no flags stored as text:
Faker words ('necessary') or two-word names ('Fire Most') read as nonsense there. A flag keeps
the examples it has and is completed with their partners ('T' → 'F'), else gets 'Y'/'N' (a
`_yn`/`_flag` column) or 'T'/'F' (an `is_`/`has_` column). BIRD's `posts.Tags` holds tag lists
('<regression><statistics>') and `Match.goal` / `Match.corner` XML ('<goal />',
'<goal><value>…'): their Faker completion has the same form (`FakeKind.TAGS`, `FakeKind.XML`),
never plain words.
"""

from __future__ import annotations

import re

from shared.generation.template.schema.schema_model import FakeKind

__all__ = ["flag_values", "markup_kind"]

_PAIRS = {"y": "n", "yes": "no", "t": "f", "true": "false", "1": "0"}
_PARTNER = {**_PAIRS, **{no: yes for yes, no in _PAIRS.items()}}
_FLAG_ENDS = frozenset({"yn", "flag", "ind", "indicator"})
_FLAG_STARTS = frozenset({"is", "has", "can", "was", "uses", "if"})
_TAG_LIST = re.compile(r"^(?:<[A-Za-z0-9][\w.+#-]*>)+$")
_XML = re.compile(r"^<([A-Za-z_][\w-]*)(?:\s*/>|>.*</\1>)$", re.DOTALL)


def flag_values(parts: list[str], texts: list[str]) -> tuple[str, ...] | None:
    """The values of a yes/no text column (its examples, each with its partner), or None when
    the column's name is not a flag's or its examples are not yes/no values."""
    if not parts:
        return None
    named = parts[-1] in _FLAG_ENDS or (parts[0] in _FLAG_STARTS and len(parts) > 1)
    if not named:
        return None
    # 'T' and 't' in the seeds' SQL are one value written twice.
    seen = list({t.lower(): t for t in reversed(texts)}.values())[::-1]
    if any(t.lower() not in _PARTNER for t in seen):
        return None
    if not seen:
        return ("Y", "N") if parts[-1] in _FLAG_ENDS else ("T", "F")
    values = list(seen)
    for text in seen:
        partner = _PARTNER[text.lower()]
        if partner not in {v.lower() for v in values}:
            values.append(partner.upper() if text.isupper() else partner)
    return tuple(values)


def markup_kind(texts: list[str]) -> tuple[FakeKind, str | None] | None:
    """TAGS when every example is a tag list, XML (with its root element) when every example
    is an XML element of one root; None otherwise or without examples."""
    if not texts:
        return None
    if all(_TAG_LIST.match(t) for t in texts):
        return FakeKind.TAGS, None
    roots = {found.group(1) for t in texts if (found := _XML.match(t))}
    if len(roots) == 1 and all(_XML.match(t) for t in texts):
        return FakeKind.XML, roots.pop()
    return None
