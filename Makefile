# Two commands for a newcomer: `make demo` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest bench snapshots signals-schema clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/newsletter --config config.toml preview --out state/preview/issue.html

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest -n auto -q

test: lint typecheck pytest

bench: $(STAMP)
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

snapshots: $(STAMP)
	$(BIN)/python scripts/generate_snapshots.py

signals-schema: $(STAMP)
	$(BIN)/python scripts/signals_schema.py

clean:
	rm -rf $(VENV) state .pytest_cache .mypy_cache .ruff_cache
