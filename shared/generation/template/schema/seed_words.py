"""Words from identifiers: `CustomerOrders` is "customer order(s)", `unit_price` is "unit price".

Also the vocabulary a seed column's name suggests: which names mean a person, a company, a
closed set of categories, and plausible values for a category nobody gave examples of.
"""

from __future__ import annotations

import re


def word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


def word_list(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_ABBREVIATIONS = {
    "avg": "average",
    "num": "number",
    "qty": "quantity",
    "amt": "amount",
    "dob": "date of birth",
    "desc": "description",
    "addr": "address",
    "dept": "department",
    "emp": "employee",
    "cust": "customer",
    "prod": "product",
    "yr": "year",
    "pct": "percent",
    "tel": "telephone",
    "max": "maximum",
    "min": "minimum",
}
# Table-name prefixes that are naming conventions, not words ("tblCustomers").
_PREFIXES = ("tbl", "tb", "t", "dim", "fact", "ref", "lkp")
# Last words of a table name that say "rows about" the words before them.
_RECORD_TAILS = frozenset({"data", "info", "information", "details"})
# Prepositions inside a table name: the counted noun is the one before them.
_LINKS = frozenset({"in", "of", "on", "at", "per", "for", "by", "with", "to", "from"})
_INVARIANT = word_set(
    "data species series equipment aircraft staff news information info software hardware "
    "feedback research evidence personnel sheep fish deer metadata media analytics"
)
_IRREGULAR = {
    "people": "person",
    "children": "child",
    "men": "man",
    "women": "woman",
    "mice": "mouse",
    "geese": "goose",
    "teeth": "tooth",
    "feet": "foot",
    "criteria": "criterion",
    "phenomena": "phenomenon",
    "indices": "index",
    "matrices": "matrix",
    "analyses": "analysis",
}
_PLURAL_IRREGULAR = {v: k for k, v in _IRREGULAR.items()}

PERSON_NOUNS = word_set(
    """customer client employee student person people patient user member author player driver
    artist teacher doctor physician nurse staff passenger volunteer donor athlete worker manager
    owner instructor singer actor director writer pilot farmer guest attendee candidate coach
    subscriber reader scientist researcher engineer officer agent musician visitor traveler
    traveller tourist buyer seller shopper resident citizen voter applicant participant
    contributor investor lawyer judge host journalist editor captain professor lecturer
    advisor adviser representative contact friend individual consumer borrower tenant
    landlord supervisor surgeon dentist therapist technician mechanic operator_person
    highschooler contestant conductor commander astronaut poker_player climber gymnast"""
)
COMPANY_NOUNS = word_set(
    """company companies supplier vendor manufacturer brand publisher airline firm organization
    organisation org employer contractor sponsor agency bank insurer carrier distributor
    retailer startup business corporation enterprise partner producer studio label shipper
    operator developer provider shop store"""
)
_CATEGORY_VALUES: dict[str, tuple[str, ...]] = {
    "status": ("Active", "Pending", "Completed", "Cancelled", "On Hold"),
    "state": ("California", "Texas", "New York", "Florida", "Washington", "Ohio"),
    "gender": ("Female", "Male", "Non-binary"),
    "sex": ("F", "M"),
    "continent": ("Europe", "Asia", "Africa", "North America", "South America", "Oceania"),
    "region": ("North", "South", "East", "West", "Central"),
    "level": ("Low", "Medium", "High"),
    "priority": ("Low", "Medium", "High", "Critical"),
    "severity": ("Low", "Medium", "High", "Critical"),
    "tier": ("Bronze", "Silver", "Gold", "Platinum"),
    "size": ("Small", "Medium", "Large"),
    "color": ("Red", "Blue", "Green", "Black", "White"),
    "colour": ("Red", "Blue", "Green", "Black", "White"),
    "day": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "month": ("January", "February", "March", "April", "May", "June"),
    "season": ("Spring", "Summer", "Autumn", "Winter"),
    "language": ("English", "Spanish", "French", "German", "Portuguese", "Japanese"),
    "currency": ("USD", "EUR", "GBP", "JPY", "CAD"),
    "department": ("Sales", "Marketing", "Engineering", "Finance", "Operations", "Support"),
    "genre": ("Rock", "Pop", "Jazz", "Classical", "Hip Hop", "Country"),
    "sector": ("Energy", "Healthcare", "Technology", "Finance", "Retail", "Manufacturing"),
    "industry": ("Energy", "Healthcare", "Technology", "Finance", "Retail", "Manufacturing"),
    "method": ("Online", "In Person", "Phone", "Mail"),
    "mode": ("Online", "Offline", "Hybrid"),
    "channel": ("Online", "Retail", "Wholesale", "Partner"),
    "platform": ("Web", "iOS", "Android", "Desktop"),
    "result": ("Pass", "Fail", "Pending"),
    "outcome": ("Success", "Failure", "Partial"),
    "grade": ("A", "B", "C", "D"),
    "class": ("Economy", "Business", "First"),
    "position": ("Forward", "Midfielder", "Defender", "Goalkeeper"),
    "role": ("Analyst", "Manager", "Engineer", "Associate", "Director"),
    "nationality": ("Canada", "France", "Japan", "Brazil", "Kenya", "India"),
    "weather": ("Sunny", "Cloudy", "Rainy", "Snowy"),
    "source": ("Referral", "Search", "Social Media", "Email", "Direct"),
}
CATEGORY_WORDS = frozenset(_CATEGORY_VALUES) | word_set(
    """type category kind group segment subject topic format style brand model species breed
    occupation specialty specialization major team division district zone area location
    county province theme material fuel cuisine ethnicity race religion education
    classification stage phase plan membership program programme"""
)


def words(identifier: str) -> list[str]:
    """Lower-case words of an identifier (snake_case, camelCase, spaces, digits kept)."""
    return [w.lower() for w in _SPLIT.split(identifier) if w]


def label_words(identifier: str) -> str:
    """A human label: words with common abbreviations spelled out ('avg_price' → 'average
    price'); never empty."""
    parts = [_ABBREVIATIONS.get(w, w) for w in words(identifier)]
    return " ".join(parts) or "value"


def singular(word: str) -> str:
    low = word.lower()
    if low in _INVARIANT or len(low) <= 3:
        return word
    if low in _IRREGULAR:
        return _IRREGULAR[low]
    for suffix, repl in (
        ("ies", "y"),
        ("sses", "ss"),
        ("xes", "x"),
        ("ches", "ch"),
        ("shes", "sh"),
        ("zzes", "zz"),
    ):
        if low.endswith(suffix):
            return word[: -len(suffix)] + repl
    if low.endswith("s") and not low.endswith(("ss", "us", "is", "os")):
        return word[:-1]
    return word


def plural(word: str) -> str:
    low = word.lower()
    if low in _INVARIANT:
        return word
    if low in _PLURAL_IRREGULAR:
        return _PLURAL_IRREGULAR[low]
    if low.endswith("y") and len(low) > 1 and low[-2] not in "aeiou":
        return word[:-1] + "ies"
    if low.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    return word + "s"


def table_nouns(table: str) -> tuple[str, str]:
    """(singular, plural) nouns of a table name: `order_items` → ("order item", "order
    items"), `tblPerson` → ("person", "persons")."""
    parts = words(table)
    if len(parts) > 1 and parts[0] in _PREFIXES:
        parts = parts[1:]
    parts = [p for p in parts if not p.isdigit()] or parts
    if not parts or not any(ch.isalpha() for ch in "".join(parts)):
        return "record", "records"
    head, last = parts[:-1], parts[-1]
    if head and last in _RECORD_TAILS:
        # `cars_data`, `player_info`: rows of data about a car, read as "car records" (not
        # "cars data", which no one asks for).
        head, last = [*head[:-1], singular(head[-1])], "records"
    at = next((i for i, p in enumerate(parts) if 0 < i < len(parts) - 1 and p in _LINKS), None)
    if at is not None:
        # `singer_in_concert`: the noun before the preposition is the one counted ("singers in
        # concert", not "singer in concerts").
        one = " ".join([*parts[: at - 1], singular(parts[at - 1]), *parts[at:]])
        many = " ".join([*parts[: at - 1], plural(singular(parts[at - 1])), *parts[at:]])
        return one, many
    one = singular(last)
    many = last if one != last else plural(last)
    return " ".join([*head, one]), " ".join([*head, many])


def is_person_table(noun: str) -> bool:
    return noun.split()[-1] in PERSON_NOUNS if noun else False


def is_company_table(noun: str) -> bool:
    return noun.split()[-1] in COMPANY_NOUNS if noun else False


def category_values(column_words: list[str]) -> tuple[str, ...]:
    """Plausible values for a category column nobody gave examples of, when one of its words
    names a closed set ('status', 'gender'); () otherwise (never lettered 'Type A')."""
    for word in reversed(column_words):
        if word in _CATEGORY_VALUES:
            return _CATEGORY_VALUES[word]
        if singular(word) in _CATEGORY_VALUES:
            return _CATEGORY_VALUES[singular(word)]
    return ()
