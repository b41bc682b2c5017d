"""The group's command table: every entry loads the command it names, its summary is the
command's own short help, and `sqlsynth --help` imports none of the commands' dependencies."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from services.cli.main import COMMANDS, cli


@pytest.mark.parametrize("entry", COMMANDS, ids=lambda e: e.name)
def test_each_entry_loads_its_command_and_says_what_it_says(entry: object) -> None:
    from services.cli.main import CommandEntry

    assert isinstance(entry, CommandEntry)
    command = entry.load()
    assert command.name == entry.name
    assert entry.summary == command.get_short_help_str(limit=10_000)


def test_group_help_lists_every_command_and_a_command_help_loads_it() -> None:
    runner = CliRunner()
    listing = runner.invoke(cli, ["--help"])
    assert listing.exit_code == 0
    for entry in COMMANDS:
        assert f"  {entry.name} " in listing.output
    detail = runner.invoke(cli, ["pairs", "--help"])
    assert detail.exit_code == 0 and "pairs [OPTIONS] RUN_DIR" in detail.output
    unknown = runner.invoke(cli, ["no-such-command"])
    assert unknown.exit_code == 2 and "No such command" in unknown.output


HEAVY = ("scipy", "anthropic", "datasets", "sqlglot", "faststream", "fastapi", "numpy", "pydantic")


def loaded_by(args: list[str], modules: tuple[str, ...]) -> list[str]:
    """Which of `modules` a fresh interpreter has imported after `sqlsynth ARGS`."""
    script = (
        "import sys, json, contextlib, io\n"
        "from services.cli.main import cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        f"        cli({args!r})\n"
        "    except SystemExit:\n"
        "        pass\n"
        f"print(json.dumps([m for m in {modules!r} if m in sys.modules]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


def test_group_help_imports_nothing_heavy() -> None:
    """Import-based, not timed: what `--help` loads is what makes it slow."""
    assert loaded_by(["--help"], HEAVY) == []


def test_run_help_leaves_the_end_of_run_outputs_unloaded() -> None:
    """The report, exports, evolution and reasoning are imported when a run ends, not to print
    `run --help` (they cost seconds: scipy, matplotlib, qdrant-client, anthropic, datasets)."""
    end_of_run = ("scipy", "matplotlib", "qdrant_client", "anthropic", "datasets")
    assert loaded_by(["run", "--help"], end_of_run) == []


def test_validate_help_imports_nothing_heavy() -> None:
    """`validate --help` reads only the command's options: the checks, the engines and the
    loaders (pydantic, sqlglot, numpy behind them) are imported when it runs."""
    assert loaded_by(["validate", "--help"], (*HEAVY, "asyncio", "shared.datasets.check")) == []


def test_lazy_packages_resolve_every_name_they_export() -> None:
    """`proto`, `shared.datasets` and `shared.report` import their names on first use; each one
    still resolves (in a fresh interpreter, so nothing was loaded before) and unknown names
    still fail."""
    script = (
        "import importlib, json\n"
        "out = {}\n"
        "for package in ('proto', 'shared.datasets', 'shared.report'):\n"
        "    module = importlib.import_module(package)\n"
        "    out[package] = [n for n in module.__all__ if getattr(module, n, None) is None]\n"
        "    try:\n"
        "        getattr(module, 'no_such_name')\n"
        "        out[package].append('no_such_name resolved')\n"
        "    except AttributeError:\n"
        "        pass\n"
        "print(json.dumps(out))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(done.stdout) == {"proto": [], "shared.datasets": [], "shared.report": []}


@pytest.mark.parametrize("service", ["planner", "generator", "validator", "reviser", "sink"])
def test_an_offline_service_starts_without_the_sdks_and_the_report(service: str) -> None:
    """Every run (and every e2e test) starts each service: the Claude and OpenAI SDKs and the
    report's scipy cost seconds of import and serve only Claude runs and a run's end."""
    script = (
        "import sys, json\n"
        f"import services.{service}.main\n"
        "print(json.dumps([m for m in ('anthropic', 'openai', 'scipy', 'matplotlib') "
        "if m in sys.modules]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_validate_help_leaves_rich_unloaded() -> None:
    """#23: rich's console, progress bars and tables (~50 ms of imports, a third of the
    command's) are imported by the commands that print with them, when they run."""
    assert loaded_by(["validate", "--help"], ("rich.console", "rich.progress", "rich.table")) == []
