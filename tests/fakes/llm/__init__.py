"""A local fake of the Anthropic Messages API for tests and benchmarks (no network needed)."""

from tests.fakes.llm.fake_server import (
    CallRecord,
    FakeAnthropic,
    FakeConfig,
    Fault,
    ModelTurn,
    Responder,
)

__all__ = ["CallRecord", "FakeAnthropic", "FakeConfig", "Fault", "ModelTurn", "Responder"]
