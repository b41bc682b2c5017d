"""A local fake of the OpenAI Chat Completions API for tests and benchmarks (no network)."""

from tests.fakes.openai_api.server import ChatFakeConfig, ChatFault, FakeOpenAI

__all__ = ["ChatFakeConfig", "ChatFault", "FakeOpenAI"]
