"""`sqlsynth run|submit --budget-usd/--budget-tokens` reach the run request; bad values are a
one-line usage error."""

from __future__ import annotations

from typing import Any

import click
import click.testing
import pytest

from services.cli.run_request import REQUEST_OPTIONS, build_request


def options(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "spec_path": None,
        "engines": "sqlite",
        "seeds_file": None,
        "schema_from": "infer",
        "count": 5,
        "seed": 0,
        "level": "full",
        "policy": "portable",
        "max_attempts": 3,
        "back_translate_share": 0.25,
        "until_saturated": False,
    }
    return {**values, **overrides}


def test_the_budget_reaches_the_request() -> None:
    request, _ = build_request(options(budget_usd=2.5, budget_tokens=100_000), "claude")
    assert (request.budget_usd, request.budget_tokens) == (2.5, 100_000)
    request, _ = build_request(options(), "claude")
    assert (request.budget_usd, request.budget_tokens) == (None, None)


@pytest.mark.parametrize(("flag", "value"), [("--budget-usd", "0"), ("--budget-tokens", "-3")])
def test_a_non_positive_budget_is_a_usage_error(flag: str, value: str) -> None:
    @click.command()
    def cmd(**kwargs: Any) -> None:
        pass

    for option in reversed(REQUEST_OPTIONS):
        cmd = option(cmd)
    result = click.testing.CliRunner().invoke(cmd, [flag, value])
    assert result.exit_code == 2 and flag in result.output
