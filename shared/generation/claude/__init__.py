"""Claude as the generation and revision engine (outline then sections, repair, judge,
back-translation), over the LLM client in shared/llm."""
