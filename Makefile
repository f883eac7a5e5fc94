# Two commands for a newcomer: `make demo` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest pytest-shifted wheel-check bench snapshots signals-schema clean chromium screenshots archive

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dev]'
	@touch $(STAMP)

# The main job on the bundled snapshots: three demo subscribers (idempotent import), the latest
# week sent to the file outbox (state/outbox; the ledger makes a re-run send nothing), then the
# preview, whose path is the last line printed.
demo: $(STAMP)
	$(BIN)/newsletter --config config.toml subscribers import examples/demo-subscribers.csv
	@week=$$(basename $$(ls snapshots/*.parquet | tail -n 1) .parquet); \
	  $(BIN)/newsletter --config config.toml send --week $$week
	$(BIN)/newsletter --config config.toml preview --out state/preview/issue.html

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest -n auto -q

test: lint typecheck pytest

# The suite once more on a shifted wall clock (Debian's faketime: SHIFT ahead, in TZ), which
# proves that no test depends on today's date or the machine's time zone. The monotonic
# clock stays real; .ci/faketime/ works around libfaketime's sleep bug and keeps Chromium
# off the preload. `.ci/run` runs it after `make test`. The same run also has NEWSLETTER_*
# variables exported as a user's shell might (a config path, a secret key): the suite must not
# see them (tests/conftest.py clears them for every test).
# libfaketime itself is not thread-safe (its plain build races on its parse buffers; its
# thread-safe build, `-m`, blocks signals while it reads the clock and has crashed a worker
# too): an xdist worker dies of SIGSEGV, rarely. So the tests that failed are run once more,
# one process, on the same shifted clock; a test that depends on the date fails again.
SHIFT ?= +3 years
SHIFT_TZ ?= Pacific/Auckland
SHIFTED = PATH="$(CURDIR)/.ci/faketime/bin:$$PATH" PYTHONPATH="$(CURDIR)/.ci/faketime" \
	  TZ=$(SHIFT_TZ) NEWSLETTER_CONFIG=/nonexistent/config.toml \
	  NEWSLETTER_SECRET_KEY=from-the-shell NEWSLETTER_SMTP_PASSWORD=from-the-shell \
	  NEWSLETTER_WEBHOOK_SECRET=from-the-shell FAKETIME_DONT_FAKE_MONOTONIC=1 faketime '$(SHIFT)'
pytest-shifted: $(STAMP)
	@echo "pytest-shifted: faketime '$(SHIFT)', TZ=$(SHIFT_TZ): $(BIN)/pytest -n auto -q"
	@$(SHIFTED) $(BIN)/pytest -n auto -q || { \
	  echo "pytest-shifted: some tests failed; running those once more (one process):"; \
	  $(SHIFTED) $(BIN)/pytest -q --last-failed --last-failed-no-failures none; }

# The wheel on its own: built, installed into a fresh venv outside the checkout, then
# `newsletter preview` and `newsletter send` (file provider) from a folder with only a
# config.toml. `.ci/run` runs it after the test runs.
wheel-check:
	scripts/check_wheel.sh $(PYTHON)

# Every benchmark at its default size (1M postings for the data path), then the 10M-posting
# week (its two CSVs, ~2.8 GB each, are generated once into $(BENCH_DATA) and reused; the
# first run takes about 30 minutes, later ones about 10). BENCH_10M=0 leaves it out.
BENCH_DATA ?= .bench-data
BENCH_10M ?= 1
# The modules are compiled first, as installing the wheel compiles them (pip does): where
# PYTHONDONTWRITEBYTECODE is set, an editable checkout would otherwise compile every module
# anew at each command, and every child process's start-up would be measured ~0.1 s slow.
bench: $(STAMP)
	@$(BIN)/python -m compileall -q newsletter
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done
	@if [ "$(BENCH_10M)" != 0 ]; then mkdir -p $(BENCH_DATA) && \
	  echo "== benchmarks/bench_scale.py --rows 10000000 --data $(BENCH_DATA)" && \
	  $(BIN)/python benchmarks/bench_scale.py --rows 10000000 --data $(BENCH_DATA); fi

snapshots: $(STAMP)
	$(BIN)/python scripts/generate_snapshots.py

# Fail-soft: installs Debian's chromium where missing and possible (root + apt-get); otherwise
# says so, and screenshots / browser tests skip with a reason.
chromium:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      --no-install-recommends chromium fonts-dejavu-core) >/dev/null 2>&1; } || \
	  echo "chromium is not installed (and could not be): screenshots will be skipped"

screenshots: $(STAMP) chromium
	$(BIN)/newsletter --config config.toml preview --out state/preview/issue.html --screenshot
	@if [ -f state/preview/issue-375.png ]; then mkdir -p docs && \
	  cp state/preview/issue-375.png state/preview/issue-600.png docs/ && echo "docs/issue-{375,600}.png updated"; fi
	@if [ -f state/preview/issue-375-dark.png ]; then \
	  cp state/preview/issue-375-dark.png state/preview/issue-600-dark.png docs/ && echo "docs/issue-{375,600}-dark.png updated"; fi

archive: $(STAMP)
	$(BIN)/newsletter --config config.toml archive --out state/archive
signals-schema: $(STAMP)
	$(BIN)/python scripts/signals_schema.py

clean:
	rm -rf $(VENV) state .pytest_cache .mypy_cache .ruff_cache
