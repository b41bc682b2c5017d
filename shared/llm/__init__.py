"""The LLM client: AsyncAnthropic with adaptive concurrency, error sorting, token and dollar
accounting, and the Message Batches API (no broker code here)."""
