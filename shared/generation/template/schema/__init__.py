"""Schema models: domains, columns, keys, the catalogue, DDL, shapes, join paths, name words."""
