"""Test doubles for the remote APIs these machines cannot reach, shared by tests and bench/.

`tests.fakes.llm` is a local HTTP server speaking the Anthropic Messages API (and its Batches
API) with the documented rules enforced, so the real SDK path runs; `tests.fakes.scripted` is a
"model" that answers sqlsynth's own prompts with content that really runs; `tests.fakes.hub`
speaks the Hugging Face hub endpoints an upload uses; `tests.fakes.reasoning_model` answers
reasoning prompts with a set accuracy. None ships with the product.
"""
