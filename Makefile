# careguide — `make run` installs, indexes the default knowledge base and serves it;
# `make test` installs and runs ruff, mypy, the import contracts and pytest.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
export TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS :=
export ANONYMIZED_TELEMETRY := False

.PHONY: install llm model doctor browser screenshots run ingest test lint typecheck imports unit bench eval eval-quick baseline clean test-cluster cluster-system

# llama-cpp-python's native build crashes on some CPUs (AMX on, llama.cpp issue #20824), and a build
# for one machine's instruction set dies with "Illegal instruction" on another (AVX-512 flags on an
# AVX2-only AMD EPYC): build for the common x86-64-v3 set (AVX2, FMA, F16C, BMI2) that every machine
# here has. pip's wheel cache ignores CMAKE_ARGS, so the wheel is built once with these flags, keyed
# by version and flags, in a cache outside the checkout; later installs take it from there in seconds.
LLAMA_VERSION := 0.3.36
LLAMA_FLAGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON -DGGML_AVX_VNNI=OFF -DGGML_AVX512=OFF -DGGML_AVX512_VBMI=OFF -DGGML_AVX512_VNNI=OFF -DGGML_AVX512_BF16=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF -DLLAVA_BUILD=OFF
LLAMA_KEY := $(shell echo "$(LLAMA_VERSION) $(LLAMA_FLAGS)" | sha256sum | cut -c1-12)
LLAMA_WHEELS := $(HOME)/.cache/careguide/llama-cpp-python-$(LLAMA_KEY)
LLAMA_STAMP := $(VENV)/.llama-$(LLAMA_KEY)

install: $(STAMP)

# torch first and pinned: an unpinned torch pulls several GB of CUDA packages.
$(STAMP): pyproject.toml
	@echo "Installing careguide and its libraries into $(VENV) (about 2.5 minutes on 2 cores) ..."
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

llm: $(LLAMA_STAMP)

$(LLAMA_STAMP): $(STAMP)
	@ls $(LLAMA_WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl >/dev/null 2>&1 || { \
	  echo "Building llama-cpp-python $(LLAMA_VERSION) once (5 to 10 minutes on 2 cores) ..."; \
	  CMAKE_BUILD_PARALLEL_LEVEL=2 CMAKE_ARGS="$(LLAMA_FLAGS)" $(BIN)/pip wheel --quiet --no-cache-dir \
	    --no-deps -w $(LLAMA_WHEELS) "llama-cpp-python==$(LLAMA_VERSION)"; }
	$(BIN)/pip install --quiet --only-binary=llama-cpp-python --find-links $(LLAMA_WHEELS) \
	  "llama-cpp-python[server]==$(LLAMA_VERSION)"
	@# A build with other flags may already be installed under the same version: replace it.
	$(BIN)/pip install --quiet --force-reinstall --no-deps $(LLAMA_WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl
	rm -f $(VENV)/.llama-*
	touch $@

# Browser tests drive Debian's chromium with Python Playwright (never `playwright install`, which
# downloads). Installed once; a fast no-op when /usr/bin/chromium is present.
browser:
	@test -x /usr/bin/chromium || { \
	  echo "Installing chromium for the browser tests (about 40 s) ..."; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; }

# PNGs of the main patient screens under docs/screenshots/ (real app, real model; a few minutes).
screenshots: install llm browser
	$(BIN)/python -m tests.e2e.screenshots docs/screenshots

# The embedded model (1.1 GB of PyPI parts, assembled and sha256-checked into ~/.cache/careguide/
# models); when it is already there this only re-checks its sha256 (a few seconds).
model: install
	$(BIN)/careguide models pull

ingest: install
	$(BIN)/careguide ingest

doctor: install
	$(BIN)/careguide doctor

# Everything the chat needs, then the chat: the model runtime, the model, the most-asked subsets of
# the knowledge base (knowledge_base.first_subsets), a `careguide doctor` screen, and the server,
# which indexes the other subsets in the background. On an indexed machine: ready in under a minute.
run: install llm model
	$(BIN)/careguide ingest --first
	-$(BIN)/careguide doctor
	$(BIN)/careguide serve --index-rest

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: install
	$(BIN)/mypy

# The package rules of docs/architecture.md (layers, no import circle, one public face per package):
# the contracts are [tool.importlinter] in pyproject.toml.
imports: install
	$(BIN)/lint-imports

test: lint typecheck imports llm browser
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

# vLLM on CPU for the backend conformance tests (opt-in, not part of `make test`; production runs
# vLLM on a GPU, see configs/vllm.yaml). Once: a virtualenv of its own (.venv-vllm, about 3.4 GB)
# and the packaged 0.5B model converted into a bf16 Hugging Face directory under
# ~/.cache/careguide/hf/; then tests/integration/models/test_backends.py with TestVllm switched on.
VLLM_VENV := .venv-vllm
VLLM_STAMP := $(VLLM_VENV)/.installed
VLLM_TEST_MODEL := qwen2.5-coder-0.5b-instruct
VLLM_CPU_ENV := VLLM_TARGET_DEVICE=cpu VLLM_CPU_OMP_THREADS_BIND=0-$(shell echo $$(( $$(nproc) - 1 ))) \
  VLLM_CPU_KVCACHE_SPACE=2 HF_HUB_OFFLINE=1

$(VLLM_STAMP): scripts/vllm_cpu_setup.sh
	scripts/vllm_cpu_setup.sh venv $(VLLM_VENV) $(PYTHON)
	touch $@

test-vllm: llm $(VLLM_STAMP)
	@model=$$(scripts/vllm_cpu_setup.sh convert $(BIN)/python $(VLLM_VENV)/bin/python $(VLLM_TEST_MODEL)) && \
	echo "Testing the backends, vLLM on CPU with $$model (its server needs 2 minutes or more to start) ..." && \
	$(VLLM_CPU_ENV) CAREGUIDE_TEST_VLLM=1 CAREGUIDE_VLLM_EXECUTABLE=$(CURDIR)/$(VLLM_VENV)/bin/vllm \
	  CAREGUIDE_VLLM_MODEL=$$model $(BIN)/pytest -q tests/integration/models/test_backends.py

# The cluster profile (configs/cluster.yaml) on 127.0.0.1, not part of `make test`: a Chroma server,
# PostgreSQL, two llama.cpp model servers (the 0.5B model) behind vllm-router, two `careguide serve`
# behind nginx, then tests/cluster (see docs/deploy.md). Installs once: Debian's postgresql and
# nginx (about 1 minute), the `cluster` extra (psycopg, vllm-router; seconds) and the 0.5B model;
# afterwards each of these steps is a quick check. The tests take 3.5 minutes on 2 idle cores.
CLUSTER_STAMP := $(VENV)/.cluster-installed
CLUSTER_MODEL := qwen2.5-coder-0.5b-instruct

$(CLUSTER_STAMP): pyproject.toml $(STAMP)
	$(BIN)/pip install --quiet -e ".[dev,cluster]"
	touch $@

cluster-system:
	@{ command -v nginx >/dev/null && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; } || { \
	  echo "Installing PostgreSQL and nginx from Debian for the cluster tests ..."; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	    --no-install-recommends postgresql nginx-light; }

test-cluster: llm $(CLUSTER_STAMP) cluster-system
	$(BIN)/careguide models pull $(CLUSTER_MODEL)
	CAREGUIDE_TEST_CLUSTER=1 CAREGUIDE_TEST_CLUSTER_MODEL=$(CLUSTER_MODEL) $(BIN)/pytest -q -m cluster tests/cluster
