# choreo developer entry points. Every target that needs Python builds .venv/ first from the pins in
# pyproject.toml (python3 -m venv + pip install -e '.[dev]'); the stamp file makes that a no-op until
# pyproject.toml changes.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PIP    := $(BIN)/python -m pip --disable-pip-version-check
BENCH_JSON ?= benchmarks/results/bench_patterns.json
BENCH_COMPILED_JSON ?= benchmarks/results/bench_patterns_mypyc.json
COMPILED := build/compiled/.built
HOT_MODULES := $(wildcard bus/patterns/_*.py)

.DEFAULT_GOAL := help
.PHONY: help install test lint format bench demo sam clean distclean

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet -e '.[dev]'
	@touch $@

install: $(STAMP) ## build .venv/ from the pinned dependencies (only when pyproject.toml changed)

# The console's browser tests drive Debian's chromium (Playwright cannot download its own browser here).
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	@command -v apt-get >/dev/null || { echo "install Debian's chromium at $(CHROMIUM) for the browser tests"; exit 1; }
	$$( [ "$$(id -u)" != 0 ] && command -v sudo ) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $$( [ "$$(id -u)" != 0 ] && command -v sudo ) apt-get install -y -qq chromium

test: $(STAMP) $(COMPILED) $(CHROMIUM) ## run the whole test suite, then the matcher's suites against the mypyc build
	$(BIN)/pytest
	CHOREO_EXPECT_BUILD=mypyc $(BIN)/pytest -q --import-mode=importlib -o pythonpath="build/compiled ." \
		tests/unit/test_build.py tests/conformance/test_event_patterns.py tests/unit/test_patternset.py \
		tests/property

# Every check runs even when an earlier one fails, so one run shows everything to fix.
LINTERS := "$(BIN)/ruff check ." "$(BIN)/ruff format --check ." "$(BIN)/mypy" "$(BIN)/lint-imports" \
	"$(BIN)/cfn-lint template.yaml" "$(BIN)/choreo lint" "$(BIN)/choreo schemas check"

lint: $(STAMP) ## ruff, mypy --strict, import contracts, cfn-lint, choreo lint and schemas check
	@failed=""; for cmd in $(LINTERS); do \
		echo "+ $$cmd"; $$cmd || failed="$$failed\n  $$cmd"; \
	done; \
	if [ -n "$$failed" ]; then printf "lint failed:$$failed\n"; exit 1; fi

format: $(STAMP) ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP) $(COMPILED) ## pattern-matching benchmark: sources, then the mypyc build (writes benchmarks/results/)
	$(BIN)/python benchmarks/bench_patterns.py --json $(BENCH_JSON)
	$(BIN)/python benchmarks/bench_patterns.py --engine-path build/compiled --baseline $(BENCH_JSON) \
		--json $(BENCH_COMPILED_JSON)
	$(BIN)/python benchmarks/bench_bus.py --json benchmarks/results/bench_bus.json
	$(BIN)/python benchmarks/bench_floor.py
	$(BIN)/python benchmarks/bench_wire.py --json benchmarks/results/bench_wire.json
	$(BIN)/python benchmarks/bench_apidest.py --json benchmarks/results/bench_apidest.json
	$(BIN)/python benchmarks/bench_console.py --json benchmarks/results/bench_console.json

$(COMPILED): $(STAMP) setup.py $(HOT_MODULES) ## the mypyc build of the matcher's hot path, in build/compiled/
	rm -rf build/compiled
	CHOREO_MYPYC=1 $(PIP) install --quiet --no-build-isolation --no-deps --target build/compiled .
	@touch $@

demo: $(STAMP) ## the order saga of template.yaml end to end: a few hundred orders, local Lambda runtime, SaaS stand-in
	$(BIN)/choreo demo --template template.yaml

# The AWS SAM CLI lives in a venv of its own: its pins are not ours, and only this target needs it.
SAM_VENV := .venv-sam
$(SAM_VENV)/.installed:
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip --disable-pip-version-check install --quiet aws-sam-cli==1.170.0
	@touch $@

# The functions' CodeUri is the project root, so sam builds from a copy of the project's own files
# (git's view: no .venv/, no build output), never from the working tree itself.
sam: $(SAM_VENV)/.installed ## the cloud path offline: sam validate --lint, then sam build (in build/sam/)
	rm -rf build/sam && mkdir -p build/sam/src
	git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t build/sam/src
	cd build/sam/src && SAM_CLI_TELEMETRY=0 ../../../$(SAM_VENV)/bin/sam validate --lint --region us-east-1
	cd build/sam/src && SAM_CLI_TELEMETRY=0 ../../../$(SAM_VENV)/bin/sam build --build-dir ../build

clean: ## remove caches, build artifacts and benchmark output
	rm -rf build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis .import_linter_cache \
		benchmarks/results
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -print0 | xargs -0 rm -rf

distclean: clean ## clean, and also remove .venv/ and local engine state (.choreo/)
	rm -rf $(VENV) .choreo
