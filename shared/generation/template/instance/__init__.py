"""Schema instances: a shaped domain with its rows (Faker fills text columns) and the row store."""
