# Quick start:  make demo   (set up + run the demo)     make test   (set up + run the tests)
PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
TORCH   ?= torch==2.13.0

.PHONY: setup browser demo test test-slow test-gpu lint clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

# torch first, pinned: anything that pulls an unpinned torch would download a multi-GB CUDA build.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet "$(TORCH)"
	$(BIN)/pip install --quiet -e ".[test,serve]"
	touch $@

setup: $(VENV)/.installed

# The browser test (tests/test_serve_browser.py) drives Debian's chromium + chromium-driver. Installed here when
# missing and apt-get is usable (root, or passwordless sudo); otherwise that test skips and says why. Under CI
# (CI=true) a failed install fails the run instead of hiding the test.
browser:
	@command -v chromedriver >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; else \
	    echo "note: chromium + chromium-driver are missing and apt-get needs root; the browser test will skip"; \
	    exit 0; fi; \
	  echo "installing Debian's chromium + chromium-driver for the browser test"; \
	  { $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	      --no-install-recommends chromium chromium-driver >/dev/null; } || { \
	    echo "note: installing chromium + chromium-driver failed; the browser test will skip"; \
	    [ "$${CI:-}" != "true" ]; }; }

demo: setup
	$(BIN)/coamd demo --out demo_out

test: setup browser
	$(BIN)/python -m pytest

test-slow: setup
	$(BIN)/python -m pytest -m slow

test-gpu: setup
	$(BIN)/python -m pytest -m gpu

lint: setup
	$(BIN)/pip install --quiet ruff==0.17.6 && $(BIN)/ruff check src tests

clean:
	rm -rf $(VENV) demo_out build *.egg-info src/*.egg-info .pytest_cache
