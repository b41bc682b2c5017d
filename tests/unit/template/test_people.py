"""Names from Faker built with only its name providers are the names the full Faker gives."""

from __future__ import annotations

import json
import random
import subprocess
import sys

from shared.generation.template.schema.people import LOCALE_BY_COUNTRY, company_name, person_name

# Run apart: under pytest every Faker module imported is assertion-rewritten (Faker registers
# a pytest plugin), which makes building the full Faker of 30 locales take ~30 s, not ~2 s.
COMPARE = """
import json
from faker import Faker
from shared.generation.template.schema.people import LOCALE_BY_COUNTRY, NAME_PROVIDERS

def draw(fake, seed):
    fake.seed_instance(seed)
    return [fake.first_name(), fake.last_name(), fake.company(), fake.name(), fake.company()]

differing = []
for locale in sorted(set(LOCALE_BY_COUNTRY.values())):
    full, names_only = Faker(locale), Faker(locale, providers=NAME_PROVIDERS)
    differing += [[locale, s] for s in range(40) if draw(full, s) != draw(names_only, s)]
print(json.dumps(differing))
"""


def test_name_providers_give_what_every_provider_gives_in_each_locale() -> None:
    done = subprocess.run(
        [sys.executable, "-c", COMPARE], capture_output=True, text=True, check=True, timeout=120
    )
    assert json.loads(done.stdout) == []


def test_names_are_ascii_without_quotes_and_repeat_for_a_seed() -> None:
    for country in (*LOCALE_BY_COUNTRY, None):
        first = [person_name(country, random.Random(7)), company_name(country, random.Random(7))]
        again = [person_name(country, random.Random(7)), company_name(country, random.Random(7))]
        assert first == again
        assert all(name and name.isascii() and "'" not in name for name in first)
