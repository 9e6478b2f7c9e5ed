# Quick start:  make demo   (set up + run the demo)     make test   (set up + run the tests)
PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
TORCH   ?= torch==2.13.0

.PHONY: setup demo test test-slow test-gpu lint clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

# torch first, pinned: anything that pulls an unpinned torch would download a multi-GB CUDA build.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet "$(TORCH)"
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

setup: $(VENV)/.installed

demo: setup
	$(BIN)/coamd demo --out demo_out

test: setup
	$(BIN)/python -m pytest

test-slow: setup
	$(BIN)/python -m pytest -m slow

test-gpu: setup
	$(BIN)/python -m pytest -m gpu

lint: setup
	$(BIN)/pip install --quiet ruff==0.17.6 && $(BIN)/ruff check src tests

clean:
	rm -rf $(VENV) demo_out build *.egg-info src/*.egg-info .pytest_cache
