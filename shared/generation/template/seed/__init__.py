"""Seed schemas: a seed DDL and its values read into a domain, then into a schema instance."""
