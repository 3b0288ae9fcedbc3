# ringfence — the two quick-start commands are `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install compiled demo test bench check lint typecheck format clean

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

# The screening core and STIR/SHAKEN compiled by mypyc (RINGFENCE_MYPYC=1), beside the editable pure-Python
# install: processes started with PYTHONPATH=$(COMPILED) run it. The build is a whole copy of the
# package (it shadows src/ for those processes), so it is rebuilt when any file of it changes.
COMPILED := build/compiled
PACKAGE_FILES := $(shell find src/ringfence -type f -not -path '*/__pycache__/*')

compiled: $(COMPILED)/.built

$(COMPILED)/.built: $(STAMP) setup.py $(PACKAGE_FILES)
	rm -rf $(COMPILED) build/lib.*  # setuptools' staging: it would keep modules no longer compiled
	RINGFENCE_MYPYC=1 $(BIN)/pip install --quiet --disable-pip-version-check --no-deps \
		--no-build-isolation --target $(COMPILED) .
	touch $@

demo: install
	$(BIN)/ringfence demo

test: install
	$(BIN)/python -m pytest

bench: install compiled
	PYTHONPATH=$(COMPILED) $(BIN)/python -m benchmarks

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: install
	$(BIN)/mypy

check: lint typecheck test

format: install
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

clean:
	rm -rf $(VENV) build ringfence-demo .pytest_cache .mypy_cache .ruff_cache
