"""A seed schema whose comments say its data is of one country gets that country's Faker locale
for the people, companies and places Faker completes (BIRD's `financial`: Czech Republic)."""

from __future__ import annotations

from faker.providers.address.cs_CZ import Provider as CzechAddress
from faker.providers.person.cs_CZ import Provider as CzechPerson

from shared.generation.template.instance.rows import generate_rows
from shared.generation.template.schema.people import to_ascii
from shared.generation.template.seed.from_ddl import domain_from_ddl
from shared.generation.template.seed.seed_locale import infer_country
from tests.unit.template.seed_data import bird_seeds

CLIENTS = """
-- Clients of a savings bank in Czech Republic
CREATE TABLE client (
  client_id INTEGER PRIMARY KEY,
  first_name TEXT,
  last_name TEXT,
  city TEXT,
  balance REAL
);
"""


def test_the_country_is_the_one_the_comments_say_the_data_is_of() -> None:
    countries = {s.name: infer_country(s.ddl) for s in bird_seeds()}
    assert countries["financial"] == "Czechia"
    # Two countries ('CZE' (Czech Republic), 'SVK' (Slovakia)), a negated mention ("outside
    # the USA") or none: no locale.
    assert {n for n, c in countries.items() if c is not None} == {"financial"}
    assert infer_country("-- shops in France and in Spain\nCREATE TABLE t (a INT);") is None
    assert (
        infer_country("-- the card's set, e.g. 'Portuguese (Brazil)'\nCREATE TABLE t (a INT);")
        is None
    )


def test_faker_completes_people_and_places_in_the_schema_s_locale() -> None:
    domain = domain_from_ddl(CLIENTS, name="seed-czech-clients")
    assert domain.seed is not None and domain.seed.country == "Czechia"
    (rows,) = generate_rows(domain, 1)
    first = {to_ascii(n) for n in (*CzechPerson.first_names_male, *CzechPerson.first_names_female)}
    last = {to_ascii(n) for n in (*CzechPerson.last_names_male, *CzechPerson.last_names_female)}
    cities = {to_ascii(c) for c in CzechAddress.cities}

    def column(name: str) -> list[str]:
        at = rows.columns.index(name)
        return [str(r[at]) for r in rows.values if r[at] is not None]

    assert column("first_name") and set(column("first_name")) <= first
    assert set(column("last_name")) <= last
    assert set(column("city")) <= cities
    # Without the comment: en_US, as before.
    plain = domain_from_ddl(CLIENTS.split("\n", 2)[2], name="seed-clients")
    assert plain.seed is not None and plain.seed.country is None
    (other,) = generate_rows(plain, 1)
    at = other.columns.index("last_name")
    assert not {str(r[at]) for r in other.values} <= last
