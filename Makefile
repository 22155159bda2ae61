# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
SAMPLE ?= data/sample
OUT    ?= reports
LANG_REPORT ?= en
# Python sources and notebooks (ruff would also reformat code blocks in Markdown).
LINT_PATHS := playbook tests notebooks scripts $(wildcard benchmarks)

.PHONY: setup browser demo test test-fast lint format sample clean

# The venv is (re)built whenever the pins change. pip installs with the full
# transitive lock as constraints, so every machine resolves the same versions.
$(VENV)/.installed: pyproject.toml requirements/lock.txt scripts/setup-fonts.sh
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements/lock.txt -e '.[dev]'
	bash scripts/setup-fonts.sh $(BIN)/python
	@touch $@

setup: $(VENV)/.installed

$(SAMPLE)/pilot.yml: | $(VENV)/.installed
	$(BIN)/playbook sample $(SAMPLE)

sample: $(SAMPLE)/pilot.yml

# The demo also prints the report's PDF (headless Chromium) and slide deck.
demo: $(VENV)/.installed browser $(SAMPLE)/pilot.yml
	$(BIN)/playbook run $(SAMPLE) --out $(OUT) --lang $(LANG_REPORT) --export pdf,pptx

# Debian's Chromium for the PDF export and the dashboard's real-browser test
# (Playwright drives it; no browser is downloaded by a test tool).
browser: $(VENV)/.installed
	bash scripts/install-browser.sh $(BIN)/python

# Tests run in parallel, one worker per core (pytest-xdist); a module's tests stay on one worker
# so its module-scoped fixtures (a generated sample, one pilot run) are built once.
TEST_JOBS ?= auto

test: $(VENV)/.installed browser
	$(BIN)/python -m pytest -n $(TEST_JOBS) --dist loadscope

test-fast: $(VENV)/.installed
	$(BIN)/python -m pytest -n $(TEST_JOBS) --dist loadscope -m "not notebooks"

lint: $(VENV)/.installed
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)

format: $(VENV)/.installed
	$(BIN)/ruff format $(LINT_PATHS)
	$(BIN)/ruff check --fix $(LINT_PATHS)

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache
