"""Evolution of accepted samples into harder ones (EvolSQL §4.2, seed 004): six atomic sqlglot
operators, a programmatic feasibility score, the paper's scarcity weight and top-K selection.

`evolve_record` turns one accepted record into evolved drafts; `shared.evolution.rounds` runs
the rounds; the CLI (`sqlsynth evolve`) sends the drafts through the pipeline's own stages.
"""
