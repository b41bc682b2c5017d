"""`python -m services.cli` runs the `sqlsynth` command."""

from __future__ import annotations

from services.cli.main import cli

if __name__ == "__main__":
    cli(prog_name="sqlsynth")
