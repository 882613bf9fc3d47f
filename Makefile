# careguide — `make run` installs, indexes the default knowledge base and serves it;
# `make test` installs and runs ruff, mypy and pytest.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
export TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS :=
export ANONYMIZED_TELEMETRY := False

.PHONY: install run ingest test lint typecheck unit bench eval eval-quick baseline clean

install: $(STAMP)

# torch first and pinned: an unpinned torch pulls several GB of CUDA packages.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

ingest: install
	$(BIN)/careguide ingest

run: ingest
	@echo "Knowledge base ready. Try: $(BIN)/careguide search \"What are the symptoms of acromegaly?\""
	$(BIN)/careguide serve

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: install
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/pytest -q
	$(MAKE) eval-quick

bench: install
	$(BIN)/python -m benchmarks

# The full evaluation (needs the default knowledge base indexed: `make ingest`).
eval: install
	$(BIN)/careguide eval run

# A seeded small slice of every suite (about 2 minutes on a fresh machine), failing on a regression
# beyond tolerance against the committed baseline. Part of `make test`.
eval-quick: install
	$(BIN)/careguide eval run --quick --baseline eval/baselines/quick.json

# Re-record the quick baseline after an intended change (commit the file with the change).
baseline: install
	$(BIN)/careguide eval run --quick --write-baseline eval/baselines/quick.json

clean:
	rm -rf $(VENV) data/index reports/*.json reports/*.md
