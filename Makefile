# Two commands for a fresh machine with Python 3.11 and make:
#   make demo   set up .venv and run the flagship study (relu_vs_leaky, default config)
#   make test   set up .venv and run the test suite
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
WORKDIR ?= workdirs/relu_vs_leaky
STAMP := $(VENV)/.installed

.PHONY: setup demo test test-slow report benchmark clean

setup: $(STAMP)

# Reinstall when the pinned dependencies change.
$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found (set PYTHON=/path/to/python3.11)"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,tensorboard]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m experiments.relu_vs_leaky --workdir $(WORKDIR)

test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

test-slow: $(STAMP)
	$(BIN)/python -m pytest -q -m slow

clean:
	rm -rf $(VENV) workdirs .pytest_cache
