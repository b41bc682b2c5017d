"""Dataset domain labels (Gretel's `domain`, "financial services") to catalogue domains.

The template engine only knows the domains of its catalogue, which are the default spec's
domain names (`read_default_domains`). A label maps to the catalogue domain one of whose
keywords it contains (the longest keyword wins, so "social media" beats "media"); failing that,
to a catalogue name that is spelled almost the same (difflib ratio >= 0.8); otherwise it is
left unmapped and reported.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from functools import lru_cache

from shared.spec.parse import read_default_domains

# Catalogue domain -> words or phrases of labels that belong to it (checked on word bounds).
KEYWORDS: dict[str, tuple[str, ...]] = {
    "retail": ("retail", "fashion", "cosmetics", "beauty", "store", "shop", "consumer"),
    "healthcare": ("health", "healthcare", "hospital", "medical", "medicine", "disability"),
    "logistics": ("logistics", "shipping", "freight", "supply chain", "warehouse", "maritime"),
    "banking": (
        "bank",
        "banking",
        "finance",
        "financial",
        "fintech",
        "lending",
        "investment",
        "investing",
        "venture capital",
        "blockchain",
        "cryptocurrency",
    ),
    "education": ("education", "school", "university", "academic", "learning", "students"),
    "hospitality": ("hospitality", "hotel", "tourism", "travel"),
    "airline": ("airline", "aviation", "aerospace", "flight", "airport"),
    "real_estate": ("real estate", "housing", "property", "urban planning"),
    "manufacturing": ("manufacturing", "factory", "industrial", "automotive", "chemical"),
    "telecom": ("telecom", "telecommunications", "mobile", "broadband"),
    "insurance": ("insurance",),
    "energy": (
        "energy",
        "oil",
        "gas",
        "power",
        "renewable",
        "utilities",
        "climate",
        "sustainable",
        "mining",
        "water",
        "waste",
    ),
    "agriculture": ("agriculture", "farming", "food", "rural", "forestry", "fisheries"),
    "media_streaming": ("media", "music", "entertainment", "film", "movie", "streaming", "news"),
    "gaming": ("gaming", "game", "games", "esports"),
    "sports_league": ("sports", "sport", "athletics", "league"),
    "library": ("library", "books", "publishing"),
    "human_resources": ("human resources", "hr", "employment", "workforce", "trade unions"),
    "ecommerce_marketplace": ("ecommerce", "e commerce", "marketplace", "online retail"),
    "restaurant": ("restaurant", "food services", "dining", "catering"),
    "car_rental": ("car rental", "rental", "vehicle", "vehicles"),
    "cybersecurity": ("cybersecurity", "security", "defense", "defence", "military"),
    "public_transit": ("transit", "transportation", "transport", "public transportation"),
    "museum": ("museum", "museums", "arts", "art", "culture", "cultural", "archeology", "heritage"),
    "nonprofit_fundraising": (
        "nonprofit",
        "philanthropy",
        "charity",
        "donation",
        "humanitarian",
        "social impact",
    ),
    "clinical_trials": ("clinical", "trials", "biotechnology", "biotech", "genomics"),
    "construction": ("construction", "civil engineering", "infrastructure", "engineering"),
    "legal_cases": ("legal", "justice", "law", "court", "government", "public safety"),
    "software_projects": ("software", "technology", "startups", "tech", "ai", "open source"),
    "event_ticketing": ("events", "event", "ticketing", "concerts"),
    "fitness_club": ("fitness", "gym", "wellness"),
    "pharmacy": ("pharmacy", "pharmaceutical", "pharmaceuticals", "drugs"),
    "veterinary": ("veterinary", "animal", "animals", "pets", "wildlife", "marine biology"),
    "space_missions": ("space", "astronomy", "satellite", "satellites", "space exploration"),
    "wine_distribution": ("wine", "beverage", "winery", "brewing"),
    "social_network": ("social media", "social network", "social networking"),
}
SPELLING_CUTOFF = 0.8


@lru_cache(maxsize=1)
def _patterns() -> list[tuple[re.Pattern[str], int, str]]:
    known = {name for name, _ in read_default_domains()}
    patterns = [
        (re.compile(rf"\b{re.escape(word)}\b"), len(word), domain)
        for domain, words in KEYWORDS.items()
        if domain in known
        for word in words
    ]
    # Longest keyword first, so the most specific phrase decides.
    return sorted(patterns, key=lambda item: -item[1])


def map_domain(label: str) -> str | None:
    """The catalogue domain of a dataset's domain label, or None when none fits."""
    text = " ".join(label.lower().replace("_", " ").replace("-", " ").split())
    if not text:
        return None
    known = [name for name, _ in read_default_domains()]
    snake = text.replace(" ", "_")
    if snake in known:
        return snake
    for pattern, _, domain in _patterns():
        if pattern.search(text):
            return domain
    close = difflib.get_close_matches(snake, known, n=1, cutoff=SPELLING_CUTOFF)
    return close[0] if close else None


def map_domains(labels: Iterable[str]) -> dict[str, str | None]:
    """Each distinct label with its catalogue domain (None: unmapped)."""
    return {label: map_domain(label) for label in dict.fromkeys(labels)}
