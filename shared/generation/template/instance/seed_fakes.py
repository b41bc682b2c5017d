"""Values for seed text columns nobody gave examples of: Faker, by the kind the column's name says.

A seed column's values come from the user's database, the seed's rows, the seeds' SQL literals
or the schema's comments (`seed_values.py`). A text column none of them covers (most of BIRD's
`cards` or `schools` columns), or covers with fewer values than its rows need, gets values from
Faker (maintained, seeded, with providers for names, places, streets, colours, languages,
free text), chosen by the kind its name says: `AdmFName1` first names, `County Name` county
names, `flavorText` sentences, `StreetAbr` streets. A name nothing more is known of gets two
Faker words; a column with one example value gets values of that example's shape (digits
redrawn by Faker's `numerify`: '1:20.888' → '1:34.512'). Never a made-up label ('Card Aurora',
'Type B'): the record says `faker` for such a column, and the values are Faker's.

Draws use Faker's en_US providers seeded from the row generator's stream, so a schema variant
always gets the same values.
"""

from __future__ import annotations

import random
import re
from collections.abc import Collection

from faker import Faker

from proto.sample import Scalar
from shared.generation.template.schema.people import seeded_faker, to_ascii
from shared.generation.template.schema.schema_model import Column, FakeKind, ValueKind
from shared.generation.template.schema.seed_words import word_set

__all__ = ["FAKE_LENGTH", "draw_fake", "fake_pool", "fit_examples", "infer_fake", "shape_of"]

# The longest value a kind is cut to: the fixture keeps a seed's VARCHAR(n) only when these fit.
FAKE_LENGTH: dict[FakeKind, int] = {
    FakeKind.FIRST_NAME: 30,
    FakeKind.LAST_NAME: 30,
    FakeKind.USER_NAME: 30,
    FakeKind.EMAIL: 60,
    FakeKind.COMPANY: 60,
    FakeKind.CITY: 40,
    FakeKind.PLACE_NAME: 60,
    FakeKind.STATE: 30,
    FakeKind.STATE_ABBR: 2,
    FakeKind.COUNTRY: 60,
    FakeKind.COUNTRY_CODE: 3,
    FakeKind.STREET: 60,
    FakeKind.TITLE: 80,
    FakeKind.NAME: 40,
    FakeKind.TEXT: 120,
    FakeKind.WORD: 30,
    FakeKind.SHAPE: 40,
    FakeKind.COLOR: 20,
    FakeKind.LANGUAGE: 40,
    FakeKind.CURRENCY: 3,
    FakeKind.JOB: 80,
    FakeKind.DAY: 9,
    FakeKind.MONTH: 9,
    FakeKind.YEAR: 4,
    FakeKind.TIME: 8,
    FakeKind.UUID: 36,
    FakeKind.NUMBER: 16,
    FakeKind.TAGS: 60,
    FakeKind.XML: 200,
}
# Things named after their town: a Faker city and the thing's noun ("Ruthfort School").
_PLACE_THINGS = word_set(
    """school college university academy campus circuit stadium arena venue station airport
    park hospital clinic library museum theatre theater hotel county district parish
    league orchestra choir"""
)
_TEAMS = word_set("team club")
_COMPANIES = word_set(
    "constructor manufacturer maker brand supplier vendor publisher company studio"
)
_TITLES = word_set("title headline caption subject")
_FREE_TEXT = word_set(
    """text body description desc notes note comment comments about bio biography summary
    message remarks remark details review content abstract flavor explanation"""
)
_USERS = word_set("display user username login nickname handle")
_FIRSTS = word_set("first given fname firstname f")
_LASTS = word_set("last family surname lname lastname l")
_PLACES = word_set("location place venue hometown residence town city municipality")
_STATES = word_set("state province")
_ABBREVIATED = word_set("short abbr abbrev abbreviation code")
_STREETS = word_set("street address addr")
_COUNTRIES = word_set("country nation nationality")
_BY_WORD: dict[str, FakeKind] = {
    "color": FakeKind.COLOR,
    "colour": FakeKind.COLOR,
    "colors": FakeKind.COLOR,
    "colours": FakeKind.COLOR,
    "language": FakeKind.LANGUAGE,
    "languages": FakeKind.LANGUAGE,
    "currency": FakeKind.CURRENCY,
    "job": FakeKind.JOB,
    "occupation": FakeKind.JOB,
    "profession": FakeKind.JOB,
    "weekday": FakeKind.DAY,
    "day": FakeKind.DAY,
    "month": FakeKind.MONTH,
    "year": FakeKind.YEAR,
}
# Values a Faker-completed category holds in one table: few enough that groups repeat.
CATEGORY_SIZE = 6
_DIGIT = re.compile(r"\d")
_ISO_CODE = re.compile(r"^[A-Z]{2,3}$")


def infer_fake(parts: list[str], noun: str, name_like: bool) -> tuple[FakeKind, str | None]:
    """The Faker kind a text column's words (trailing digits dropped) and its table's noun
    say, with the noun a PLACE_NAME appends; WORD when nothing fits."""
    words = set(parts)
    last = parts[-1] if parts else ""
    table_word = noun.split()[-1] if noun else ""
    if words & _USERS and ("name" in words or last in _USERS):
        return FakeKind.USER_NAME, None
    if name_like and words & _FIRSTS:
        return FakeKind.FIRST_NAME, None
    if words & _LASTS and (name_like or last in _LASTS):
        return FakeKind.LAST_NAME, None
    if words & _COUNTRIES and words & _ABBREVIATED:
        return FakeKind.COUNTRY_CODE, "2"  # Spider's CountryAbbrev: 'US', not 'Namibia'
    if words & _COUNTRIES or (name_like and table_word in _COUNTRIES):
        return FakeKind.COUNTRY, None
    if words & _STATES and "status" not in words:
        return (FakeKind.STATE_ABBR if words & _ABBREVIATED else FakeKind.STATE), None
    if words & _STREETS:
        return FakeKind.STREET, None
    if words & _COMPANIES or (name_like and table_word in _COMPANIES):
        return FakeKind.COMPANY, None
    for word in (*reversed(parts), *([table_word] if name_like else [])):
        if word in _PLACE_THINGS:
            return FakeKind.PLACE_NAME, word.capitalize()
    if words & _TEAMS or (name_like and table_word in _TEAMS):
        return FakeKind.CITY, None  # clubs are mostly named after their town
    if words & _PLACES:
        return FakeKind.CITY, None
    if words & _TITLES:
        return FakeKind.TITLE, None
    if words & _FREE_TEXT:
        return FakeKind.TEXT, None
    for word in reversed(parts):
        if word in _BY_WORD:
            return _BY_WORD[word], None
    return (FakeKind.NAME if name_like else FakeKind.WORD), None


def fit_examples(
    kind: FakeKind, extra: str | None, examples: list[str]
) -> tuple[FakeKind, str | None]:
    """The kind refined by the real values it completes: countries given as 'CZE'/'SVK' are
    completed with ISO codes of the same length, not country names."""
    codes = {len(e) for e in examples if _ISO_CODE.match(e)}
    if (
        kind is FakeKind.COUNTRY
        and examples
        and len(codes) == 1
        and all(_ISO_CODE.match(e) for e in examples)
    ):
        return FakeKind.COUNTRY_CODE, str(codes.pop())
    return kind, extra


def shape_of(example: str) -> str | None:
    """A numerify pattern from one example value with digits ('K-8' → 'K-#'); None without."""
    # '%', '!' and '@' are numerify's own markers too.
    if not _DIGIT.search(example) or len(example) > FAKE_LENGTH[FakeKind.SHAPE]:
        return None
    if set(example) & set("#%!@"):
        return None
    digits = len(_DIGIT.findall(example))
    # The leading digit stays when there are more: a lap of '1:20.888' takes '1:34.512'.
    lead = _DIGIT.search(example)
    assert lead is not None
    start = lead.end() if digits >= 3 else 0
    return example[:start] + _DIGIT.sub("#", example[start:])


def draw_fake(
    kind: FakeKind, extra: str | None, rng: random.Random, *, country: str | None = None
) -> str:
    """One value of `kind` from Faker seeded by `rng`; `extra` is a PLACE_NAME's noun or a
    SHAPE's pattern; people, companies and places in `country`'s locale. ASCII, no quotes,
    cut to FAKE_LENGTH."""
    fake = seeded_faker(rng, country if kind in LOCAL_FAKES else None)
    if kind is FakeKind.PLACE_NAME:
        value = f"{fake.city()} {extra}".strip() if extra else fake.city()
    elif kind is FakeKind.SHAPE:
        value = _fill_shape(extra or "###", fake)
    elif kind is FakeKind.UUID:
        value = str(fake.uuid4())
    elif kind is FakeKind.NAME:
        # Short words ('a', 'I') would read like lettered labels ('Four A').
        words = [w for w in fake.words(6, unique=True) if len(w) > 2][:2]
        value = " ".join(w.capitalize() for w in words)
    elif kind is FakeKind.STATE_ABBR:
        value = fake.state_abbr(include_territories=False, include_freely_associated_states=False)
    elif kind is FakeKind.WORD:
        value = next((w for w in fake.words(6) if len(w) > 2), "item")
    elif kind is FakeKind.TEXT:
        value = fake.sentence(nb_words=8)
    elif kind is FakeKind.TITLE:
        value = fake.catch_phrase()
    elif kind is FakeKind.COUNTRY_CODE:
        value = fake.country_code(representation="alpha-2" if extra == "2" else "alpha-3")
    elif kind is FakeKind.NUMBER:
        value = _number(extra or "1:100:0", fake)
    elif kind is FakeKind.TAGS:
        value = "".join(f"<{w}>" for w in fake.words(fake.random_int(1, 3), unique=True))
    elif kind is FakeKind.XML:
        value = _xml(extra or "value", fake)
    elif kind is FakeKind.EMAIL:
        value = fake.safe_email()  # example.org/com/net: never a real mailbox
    elif kind is FakeKind.COUNTRY:
        value = _country(fake)
    else:
        value = str(getattr(fake, _PROVIDERS[kind])())
    return to_ascii(value).replace("'", "")[: FAKE_LENGTH[kind]].strip()


def _country(fake: Faker) -> str:
    """A country of Faker's list, not one of the territories it also holds ('British Indian
    Ocean Territory (Chagos Archipelago)' read as a singer's country)."""
    value = str(fake.country())
    for _ in range(20):
        if "(" not in value and "Territor" not in value and "Minor" not in value:
            break
        value = str(fake.country())
    return value


def _number(pattern: str, fake: Faker) -> str:
    """A number in `low:high:decimals`, written as text ('130', '5.8')."""
    low, high, decimals = pattern.split(":")
    scale = 10 ** int(decimals)
    drawn = fake.random_int(round(float(low) * scale), round(float(high) * scale)) / scale
    return f"{drawn:.{int(decimals)}f}"


def _xml(root: str, fake: Faker) -> str:
    """An event fragment shaped like BIRD's `Match.goal`/`corner`: often empty ('<goal />'),
    else one value with the minute, team and player ids."""
    if fake.random_int(0, 2) == 0:
        return f"<{root} />"
    minute, team, player = (
        fake.random_int(1, 90),
        fake.random_int(8000, 10300),
        fake.random_int(20000, 700000),
    )
    return (
        f"<{root}><value><elapsed>{minute}</elapsed><team>{team}</team>"
        f"<player1>{player}</player1></value></{root}>"
    )


def _fill_shape(pattern: str, fake: Faker) -> str:
    """Digits for a shape's '#': the first after a ':' is 0-5 (minutes and seconds), a leading
    two-digit hour starts with 0-1, so '14:25:00' and '1:20.888' give times that exist."""
    out: list[str] = []
    for at, ch in enumerate(pattern):
        if ch != "#":
            out.append(ch)
        elif at > 0 and pattern[at - 1] == ":":
            out.append(str(fake.random_int(0, 5)))
        elif at == 0 and pattern[1:3] == "#:":
            out.append(str(fake.random_int(0, 1)))
        else:
            out.append(str(fake.random_digit()))
    return "".join(out)


# Kinds a country's locale changes (Czech surnames, towns, streets); the others (words,
# sentences, colours, codes) stay en_US, whose providers every kind has.
LOCAL_FAKES = frozenset(
    {
        FakeKind.FIRST_NAME,
        FakeKind.LAST_NAME,
        FakeKind.COMPANY,
        FakeKind.CITY,
        FakeKind.PLACE_NAME,
        FakeKind.STREET,
    }
)
_PROVIDERS: dict[FakeKind, str] = {
    FakeKind.FIRST_NAME: "first_name",
    FakeKind.LAST_NAME: "last_name",
    FakeKind.USER_NAME: "user_name",
    FakeKind.COMPANY: "company",
    FakeKind.CITY: "city",
    FakeKind.STATE: "state",
    FakeKind.COUNTRY: "country",
    FakeKind.STREET: "street_address",
    FakeKind.COLOR: "safe_color_name",
    FakeKind.LANGUAGE: "language_name",
    FakeKind.CURRENCY: "currency_code",
    FakeKind.JOB: "job",
    FakeKind.DAY: "day_of_week",
    FakeKind.MONTH: "month_name",
    FakeKind.YEAR: "year",
    FakeKind.TIME: "time",
}


def fake_pool(
    column: Column,
    label: bool,
    count: int,
    seen: Collection[Scalar],
    rng: random.Random,
    *,
    country: str | None = None,
) -> list[str]:
    """The values one table's rows draw a Faker-completed column from: its real values first,
    then Faker's of its kind: enough for every row of a label (unique), a few for a category
    (so its groups repeat), up to the row count for a title."""
    assert column.fake is not None
    pool = list(dict.fromkeys(column.values))
    if label or column.kind is ValueKind.CODE:
        size = count
    elif column.kind in (ValueKind.TITLE, ValueKind.FREE_TEXT):
        # Each post has its own body: free text repeats no more than a title does.
        size = max(count, CATEGORY_SIZE)
    else:
        size = CATEGORY_SIZE
    taken: set[Scalar] = {*pool, *seen}
    fresh = len(taken) - len(set(seen))
    for _ in range(3 * size + 10):
        if fresh >= size:
            break
        value = draw_fake(column.fake, column.pattern, rng, country=country)
        if value and value not in taken:
            pool.append(value)
            taken.add(value)
            fresh += 1
    return pool
