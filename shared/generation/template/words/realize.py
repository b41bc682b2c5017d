"""The realizer: one question, in one prompt style, from a typed meaning.

`realize(meaning, style, rng)` is the entry point every generator uses to word a query (the
template engine, the expander, and evolved queries): build a `QuestionMeaning` (directly, or
with `freeze_meaning` from the template builder's record) and call it. The question is said
by intent (which / how many / list / per group / top k / change), not clause by clause; the
styles differ in how a person phrases the same ask (a question, a command, a request, keywords,
two asks, chat), not in how much they add.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from proto.common import PromptStyle
from shared.generation.template.words.changes import realize_change
from shared.generation.template.words.intent import (
    Combine,
    Filter,
    Intent,
    Measure,
    Op,
    QuestionMeaning,
    Ranking,
)
from shared.generation.template.words.phrases import (
    PLAIN_OPS,
    bare,
    group_condition,
    join_and,
    list_plural,
    measure,
    modifiers,
    order_words,
    plural,
    ranked_groups,
    ranked_rows,
)
from shared.spec.question_lead import VERBS, Lead

S = PromptStyle


@dataclass(frozen=True)
class Wording:
    """Synonyms a domain offers: for table plurals and for column labels."""

    nouns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    labels: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Ask:
    """The pieces of one ask in words, before a style arranges them."""

    what: str  # "the name and price", "the number of orders"
    target: str  # "products with price over 50", "the 3 products with the highest price"
    per: str  # "per category", ""
    order: str  # "most orders first", ""
    counting: bool  # the only output is a count of the subject
    plural_what: bool  # "What are" rather than "What is"
    holds_target: bool = False  # `what` already names the subject and its conditions
    others: str = ""  # `what` without the count of the subject
    lead: str = ""  # a ranked cut of groups in full: "the 3 channels with the most orders"
    ranked: bool = False  # `target` is a ranked cut of rows ("the 3 products with ...")
    which_most: str = ""  # "Which channel has the most" (a ranked count of the subject)
    subject: str = ""  # the subject's plural as said
    have: str = ""  # the plain conditions after "have" ("price over 50 and status 'Open'")


def _of(a: Ask) -> str:
    return "" if a.holds_target else f" of {a.target}"


def realize(
    meaning: QuestionMeaning,
    style: PromptStyle,
    rng: random.Random,
    wording: Wording | None = None,
    lead: Lead | None = None,
) -> str:
    """One question for `meaning` in `style`; `rng` varies the choice of words, `lead` (how
    the question opens, planned from seed questions) is honoured where the intent allows."""
    if meaning.change is not None:
        text = realize_change(meaning, style, rng)
    else:
        ask = _ask(meaning, style, rng, wording or Wording())
        if lead is None or lead is Lead.OTHER:
            lead = _default_lead(meaning, style, rng)
        text = _STYLES[style](ask, meaning, rng, lead)
    return _tidy(text, style)


def _default_lead(m: QuestionMeaning, style: PromptStyle, rng: random.Random) -> Lead:
    if style is S.DIRECT:
        if m.intent is Intent.LIST and m.named and rng.random() < 0.4:
            return Lead.WHICH
        return Lead.HOW_MANY if m.intent is Intent.COUNT else Lead.WHAT
    return rng.choice(list(VERBS))


def _ask(m: QuestionMeaning, style: PromptStyle, rng: random.Random, w: Wording) -> Ask:
    informal = style is S.INFORMAL
    vague = m.vague_filters() if informal else ()
    filters = [_own_rows(f, m) for f in m.filters if f not in vague]
    many = _noun(m.subject_many, w, rng)
    adjectives = " ".join(f.vague for f in vague if f.vague)
    described = f"{adjectives} {many}".strip()
    one = f"{adjectives} {m.subject_one}".strip()
    if m.paired_with is not None:
        # A CROSS JOIN's rows are every pairing of the subject with the partner: said as such,
        # or the partner's columns read as if the subject's rows owned them.
        described = f"pairings of {described} and {m.paired_with[1]}"
        one = f"pairing of {one} and {m.paired_with[0]}"
    terse = style is S.TERSE
    cond = " ".join(bare(f, rng) for f in filters) if terse else modifiers(filters, rng)
    plain = filters and all(f.op in PLAIN_OPS for f in filters) and m.combination is None
    have = join_and([bare(f, rng) for f in filters]) if plain else ""
    combo = _combination(m, rng, terse)
    ranking = m.ranking
    if ranking is not None and ranking.vague and not informal:
        # Only the informal style says "top" or "best" (its evidence states the order).
        ranking = replace(ranking, vague=None)
    cut = ranking is not None and ranking.limit is not None and m.combination is None
    order = ""
    if ranking is not None and not cut:
        order = _terse_order(ranking) if terse else order_words(ranking, rng)
    per = ""
    groups = [_label(g, w, rng) for g in m.groups]
    having = [group_condition(f, m.subject_many, rng) for f in m.group_filters]
    measures = list(m.measures)
    elided = ""  # the measure a ranked lead names by "with the most" alone
    full_lead = ""
    which_most = ""  # "Which channel has the most": a ranked count asked as a question
    if m.intent is Intent.BREAKDOWN and groups:
        per = f"{rng.choice(['per', 'for each', 'by']) if not terse else 'by'} {join_and(groups)}"
        if having:
            per += " " + join_and(having)
    target = _joined(described, _and_combo(cond, combo))
    counting = m.intent is Intent.COUNT
    if cut and ranking is not None and not terse:
        if m.intent is Intent.LIST:
            target = _joined(ranked_rows(ranking, one, described), _and_combo(cond, combo))
        elif m.intent is Intent.BREAKDOWN and len(groups) == 1:
            full_lead = ranked_groups(ranking, groups[0], elide=False)
            ranked = [x for x in measures if x.label == ranking.by]
            alone = len(measures) == 1 and not cond and not combo
            if ranked and alone and not ranking.vague and not having and style is not S.MULTI_PART:
                # "the number of orders for the 3 channels with the most": the ranked measure
                # is named once, when nothing stands between (after a second measure or the
                # conditions, "with the fewest" no longer says of what).
                elided = ranking.by
                lead = ranked_groups(ranking, groups[0], elide=True)
            else:
                lead = ranked_groups(ranking, groups[0], elide=False)
            among = f", among {plural(groups[0])} {join_and(having)}" if having else ""
            per = f"for {lead}{among}"
            if len(measures) == 1 and measures[0].counts_subject and ranking.counted:
                k = ranking.limit or 1
                head = f"{groups[0]} has" if k == 1 else f"{k} {plural(groups[0])} have"
                most = "most" if ranking.descending else "fewest"
                which_most = f"Which {head} the {most}"
    elif cut and ranking is not None and terse:
        order = f"{_terse_order(ranking)} top {ranking.limit}"
    elif m.limit is not None and ranking is None and not terse:
        target = f"any {m.limit} {target}"
    # Listed rows have many values: "the names and prices of products".
    shown = [list_plural(s) if m.intent is Intent.LIST and not terse else s for s in m.shown]
    if m.intent is Intent.LIST and not shown and not m.extras:
        shown = ["ids"]  # only the rows' keys are selected
    rank, rank_of = _rank_of_listed(m, measures, elided)
    extras = [e if m.intent is Intent.LIST or terse else f"the {e}" for e in m.extras if e != rank]
    what_items = [_label(s, w, rng) for s in shown] + [_label(e, w, rng) for e in extras]
    # A value a condition requires is never missing: "attendances (if any) ... whose
    # attendance is 'No-show'" contradicts itself.
    optional = set(m.optional) - {f.field for f in m.filters}
    if optional and not terse:
        # A LEFT-joined child's values: rows without such a child list none ("(if any)").
        at = max(i for i, s in enumerate(m.shown) if s in optional or i == 0)
        if m.shown[at] in optional and at < len(what_items):
            what_items[at] += " (if any)"
    # A count of the subject carries the subject and its conditions: "the number of orders
    # with status 'Open'", so nothing follows as "of the orders".
    counts = [x for x in measures if x.counts_subject]
    holds_target = bool(counts) and not terse
    other_items = list(what_items)
    # The count that carries the subject's conditions goes last, next to what follows it.
    measures.sort(key=lambda x: (x.label == elided, x.counts_subject))
    for x in measures:
        if rank and x.label == rank_of and x.counts_subject:
            # The count carries the subject's conditions last: its rank is said just before.
            what_items.append("rank by count" if terse else "the rank by count")
            other_items.append(what_items[-1])
        if x.counts_subject and not terse:
            what_items.append(f"the number of {target}")
        elif x.counts_subject:
            what_items.append("count")  # terse: "count orders status 'Open' by channel"
            other_items.append("count")
        else:
            what_items.append(_label(measure(x), w, rng))
            other_items.append(what_items[-1])
            if rank and x.label == rank_of:
                # A rank by the measure just said: "the highest price and its rank".
                what_items.append("rank" if terse else "its rank")
                other_items.append(what_items[-1])
    if terse:
        what_items = [i.removeprefix("the ") for i in what_items]
    what = join_and(what_items[:1] + [i.removeprefix("the ") for i in what_items[1:]])
    if m.intent is Intent.LIST and not terse:
        what = f"the {'distinct ' if m.distinct else ''}{what}"
    if m.intent is Intent.BREAKDOWN and not what_items:
        what = ""
    return Ask(
        what=what,
        target=target,
        per=per,
        order=order,
        counting=counting,
        plural_what=len(what_items) > 1 or m.intent is Intent.LIST,
        holds_target=holds_target,
        others=join_and(other_items),
        lead=full_lead,
        ranked=cut and m.intent is Intent.LIST and not terse,
        which_most="" if having else which_most,
        subject=described,
        have=have,
    )


def _own_rows(f: Filter, m: QuestionMeaning) -> Filter:
    """A comparison with an aggregate of the subject's own rows drops their noun: "alerts
    with risk score above the average", not "... above the average of all alerts"."""
    if f.op is Op.VS_AGG and f.related == m.subject_many:
        return replace(f, related="")
    return f


def _and_combo(cond: str, combo: str) -> str:
    """The conditions, then the set combination: "with X and either with Y or with Z"."""
    if cond and combo and not combo.startswith(("plus ", "except ", "also ", "that are also")):
        return f"{cond} and {combo}"
    return _joined(cond, combo)


def _terse_order(r: Ranking) -> str:
    return f"by {r.by} {'desc' if r.descending else 'asc'}"


def _combination(m: QuestionMeaning, rng: random.Random, terse: bool) -> str:
    c = m.combination
    if c is None:
        return ""

    def say(filters: tuple[Filter, ...]) -> str:
        return " ".join(bare(f, rng) for f in filters) if terse else modifiers(filters, rng)

    left, right = say(c.left), say(c.right)
    if terse:
        sign = {
            Combine.UNION: "or",
            Combine.UNION_ALL: "plus",
            Combine.INTERSECT: "and",
            Combine.EXCEPT: "not",
        }[c.combine]
        return f"{left} {sign} {right}".strip()
    if not left:
        return {
            Combine.UNION: f"plus those {right}",
            Combine.UNION_ALL: f"plus those {right}, repeats kept",
            Combine.INTERSECT: f"that are also {right.removeprefix('with ')}"
            if not right.startswith("with ")
            else f"also {right}",
            Combine.EXCEPT: f"except those {right}",
        }[c.combine]
    return {
        Combine.UNION: f"either {left} or {right}",
        Combine.UNION_ALL: f"{left}, plus those {right}, repeats kept",
        Combine.INTERSECT: f"both {left} and {right}",
        Combine.EXCEPT: f"{left} but not {right}",
    }[c.combine]


def _noun(plural_noun: str, w: Wording, rng: random.Random) -> str:
    options = w.nouns.get(plural_noun, ())
    return rng.choice(options) if options and rng.random() < 0.35 else plural_noun


def _rank_of_listed(m: QuestionMeaning, measures: list[Measure], elided: str) -> tuple[str, str]:
    """(the rank extra, the measure it ranks by) when that measure is listed too, so the rank
    is said by reference; ("", "") otherwise (the rank keeps its full label)."""
    if m.ranked is None or m.ranked[0] not in m.extras or m.ranked[1] == elided:
        return "", ""
    if not any(x.label == m.ranked[1] for x in measures):
        return "", ""
    return m.ranked


def _label(label: str, w: Wording, rng: random.Random) -> str:
    for known, options in w.labels.items():
        if known in label and rng.random() < 0.3:
            return label.replace(known, rng.choice(options))
    return label


def _tail(a: Ask) -> str:
    return ", ".join(p for p in (a.per, a.order) if p)


def _joined(*parts: str) -> str:
    return " ".join(p for p in parts if p)


# ---- styles ------------------------------------------------------------------------------


def _direct(a: Ask, m: QuestionMeaning, rng: random.Random, lead: Lead) -> str:
    if a.counting:
        if lead is Lead.WHAT:
            return f"What is the number of {a.target}?"
        return f"How many {a.target} are there?"
    # "Which products ...?" asks for the rows alone: not when a computed column comes too.
    if (
        m.intent is Intent.LIST
        and m.named
        and lead is Lead.WHICH
        and len(m.shown) == 1
        and not m.extras
    ):
        which = _which(a, m)
        if which:
            return f"{which}{_comma(a.order)}?"
    if m.intent is Intent.BREAKDOWN:
        if not a.what and a.lead:
            return f"Which are {a.lead}{_having(m, rng)}?"
        if not a.what:
            return f"Which {_group_noun(m)} have {a.target}{_having(m, rng)}{_comma(a.order)}?"
        if a.which_most:
            return f"{a.which_most} {a.target}, and how many?"
        only_count = len(m.measures) == 1 and m.measures[0].counts_subject
        if only_count and (lead is Lead.HOW_MANY or rng.random() < 0.5):
            head, _, rest = a.per.partition(" ")
            if head in ("per", "by") and a.per:
                return f"How many {a.target} are there per {rest}{_comma(a.order)}?"
            return f"{a.per.capitalize()}, how many {a.target} are there{_comma(a.order)}?"
        be = "are" if a.plural_what else "is"
        if a.per.startswith("for each") and rng.random() < 0.5:
            return f"{a.per.capitalize()}, what {be} {a.what}{_of(a)}{_comma(a.order)}?"
        return f"What {be} {a.what}{_of(a)} {_tail(a)}?"
    be = "are" if a.plural_what else "is"
    return f"What {be} {a.what}{_of(a)}{_comma(a.order)}?"


def _which(a: Ask, m: QuestionMeaning) -> str:
    """'Which products have price over 50', 'Which are the 3 products with ...' (or '' when
    the conditions do not read after "have")."""
    if a.ranked:
        return f"Which are {a.target}"
    return f"Which {a.subject} have {a.have}" if a.have else ""


def _having(m: QuestionMeaning, rng: random.Random) -> str:
    conds = [group_condition(f, m.subject_many, rng) for f in m.group_filters]
    return f", {join_and(conds)}" if conds else ""


def plural_groups(m: QuestionMeaning) -> str:
    return join_and([plural(g) for g in m.groups])


def _group_noun(m: QuestionMeaning) -> str:
    return plural_groups(m)


def _comma(text: str) -> str:
    return f", {text}" if text else ""


def _command(a: Ask, m: QuestionMeaning, verb: str, rng: random.Random) -> str:
    if a.counting:
        return f"{verb} the number of {a.target}"
    if m.intent is Intent.BREAKDOWN and not a.what and a.lead:
        return f"{verb} {a.lead}{_having(m, rng)}"
    if m.intent is Intent.BREAKDOWN and not a.what:
        having = _having(m, rng)
        return f"{verb} the {_group_noun(m)} that have {a.target}{having}{_comma(a.order)}"
    return f"{verb} {a.what}{_of(a)} {_tail(a)}"


def _imperative(a: Ask, m: QuestionMeaning, rng: random.Random, lead: Lead) -> str:
    # "List the number of vehicles." lists nothing: a count asked with a listing verb is
    # asked as a count ("Find/Give/Return the number of" read as Spider's do).
    if a.counting and lead not in (Lead.FIND, Lead.GIVE, Lead.RETURN):
        return f"Count the {a.target}."
    verb = VERBS.get(lead) or rng.choice(list(VERBS.values()))
    return _command(a, m, verb, rng) + "."


def _conversational(a: Ask, m: QuestionMeaning, rng: random.Random, lead: Lead) -> str:
    # Short openers: a conversational ask is the command with a courtesy, not a preamble.
    opener = rng.choice(["Can you show", "Could you list", "Please show", "Please list"])
    if a.counting:
        opener = rng.choice(["Can you tell me", "Could you check"])
        return f"{opener} how many {a.target} there are?"
    body = _command(a, m, opener, rng)
    return body + ("?" if opener.startswith(("Can", "Could")) else ".")


def _terse(a: Ask, m: QuestionMeaning, rng: random.Random, lead: Lead) -> str:
    what = "count" if a.counting else a.what
    return _joined(what, a.target, a.per, a.order)


def _multi_part(a: Ask, m: QuestionMeaning, rng: random.Random, lead: Lead) -> str:
    if lead is Lead.WHICH and m.intent is Intent.LIST and not a.counting:
        # The seeds' frame (Spider: "Which dogs are of the rarest breed? Show their names."):
        # the rows asked for, then what to show of them.
        which = _which(a, m)
        if which:
            shown = a.what.removeprefix("the ")
            verb = rng.choice(["List", "Show", "Give"])
            return f"{which}? {verb} their {shown}{_comma(a.order)}."
    verb = rng.choice(["Find", "Identify", "Look up"])
    # The two asks joined as a person writes them: "…, and also …" or "…; …" (shorter).
    then = rng.choice([", and also", ";"])
    if a.counting:
        return f"{verb} the {a.target}{then} count them{_semi(a.order)}."
    if m.intent is Intent.LIST:
        target = a.target if a.target.startswith(("the ", "any ")) else f"the {a.target}"
        shown = a.what.removeprefix("the ")
        return f"{verb} {target}{then} show their {shown}{_semi(a.order)}."
    if m.intent is Intent.BREAKDOWN:
        if not a.what:
            groups = _group_noun(m)
            return f"Group the {a.target} {a.per}{then} list the {groups}{_semi(a.order)}."
        return f"Group the {a.target} {a.per}{then} {_give(a)}{_semi(a.order)}."
    return f"{verb} the {a.target}{then} {_give(a)}{_semi(a.order)}."


def _give(a: Ask) -> str:
    """The measures of the rows just named: 'give their total amount', 'count them'."""
    if a.holds_target:
        others = a.others.replace("the ", "their ", 1)
        return f"count them{' and give ' + others if others else ''}"
    return "give " + a.what.replace("the ", "their ", 1)


def _semi(text: str) -> str:
    return f"; {text}" if text else ""


def _informal(a: Ask, m: QuestionMeaning, rng: random.Random, lead: Lead) -> str:
    end = rng.choice(["", "", " pls", " thx", "?"])
    if a.counting:
        return f"{rng.choice(['how many', 'so how many', 'quick q: how many'])} {a.target}?"
    if m.intent is Intent.LIST:
        opener = rng.choice(["need", "gimme", "looking for", "hey, can i get"])
        end = "?" if opener.endswith("get") else end
        return f"{opener} {a.what} of {a.target}{_comma(a.order)}{end}"
    if m.intent is Intent.BREAKDOWN and not a.what:
        return f"which {_group_noun(m)} have {a.target}{_having(m, rng)}{_comma(a.order)}?"
    opener = rng.choice(["what's", "so what's", "need", "gimme"])
    end = "?" if opener.endswith("'s") else end
    return f"{opener} {a.what}{_of(a)}{_comma(_tail(a))}{end}"


_STYLES: dict[PromptStyle, Callable[[Ask, QuestionMeaning, random.Random, Lead], str]] = {
    S.DIRECT: _direct,
    S.IMPERATIVE: _imperative,
    S.CONVERSATIONAL: _conversational,
    S.TERSE: _terse,
    S.MULTI_PART: _multi_part,
    S.INFORMAL: _informal,
}


def _tidy(text: str, style: PromptStyle) -> str:
    text = " ".join(text.split())
    for bad, good in ((" ,", ","), (" ?", "?"), (" .", "."), (",,", ","), (" ;", ";"), ("..", ".")):
        text = text.replace(bad, good)
    if style not in (S.TERSE, S.INFORMAL) and text:
        text = text[0].upper() + text[1:]
    return text


__all__ = ["Wording", "realize"]
