# The two commands of the README: `make demo` (the main job) and `make test` (the suite).
# Both install what is missing first; servers are private, on loopback, and stopped afterwards.
.PHONY: setup demo test test-fast lint bench schemas

VENV := .venv/bin

setup:
	@bash scripts/setup.sh

demo: setup
	rm -rf out/demo
	$(VENV)/sqlsynth run --count 300 --out out/demo

test: setup
	$(VENV)/python -m pytest -q -p no:cacheprovider -n 2 --dist loadfile --durations=25; status=$$?; bash scripts/stop-leftovers.sh; exit $$status

test-fast: setup
	$(VENV)/python -m pytest -q -m "not e2e and not slow and not engines"

lint: setup
	$(VENV)/ruff check . && $(VENV)/ruff format --check . && $(VENV)/mypy proto shared services tests bench

bench: setup
	$(VENV)/python -m bench

schemas: setup
	$(VENV)/python -m proto.schema_gen
