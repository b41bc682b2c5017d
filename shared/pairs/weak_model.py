"""A cheaper model as the weak generator (SENSE §3.2: weak models make the instructive errors).

It goes through the project's LLM client (limiter, error sorting, cost ledger) with its own
model name, e.g. `claude-haiku-4-5` beside a stronger generator, or any model of an
OpenAI-compatible server (shared.llm.openai_client: a small local model through vLLM or Ollama);
the answers are judged by execution like any candidate.
"""

from __future__ import annotations

from shared.errors import SqlsynthError
from shared.llm.client import ModelClient
from shared.pairs.mutations import ErrorKind
from shared.pairs.sources import Candidate, PairInput, extract_sql

INSTRUCTION = "Answer with one SQL query in a ```sql block, nothing else."


class WeakModel:
    def __init__(self, client: ModelClient, samples: int = 2) -> None:
        self.client = client
        self.samples = samples
        self.name = f"weak:{client.model}"
        self.failures = 0

    async def propose(self, item: PairInput) -> list[Candidate]:
        out: list[Candidate] = []
        for _ in range(self.samples):
            params = {
                "max_tokens": 1024,
                "messages": [{"role": "user", "content": f"{item.prompt}\n\n{INSTRUCTION}"}],
            }
            try:
                reply = await self.client.create(params, purpose="weak_candidate")
            except SqlsynthError:
                self.failures += 1  # counted in the summary; the record keeps its offline pairs
                continue
            text = "".join(block.text for block in reply.message.content if block.type == "text")
            sql = extract_sql(text)
            if sql:
                out.append(Candidate(ErrorKind.WEAK_MODEL, sql, self.name))
        return out
