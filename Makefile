# Set-up and everyday commands. `make run` and `make test` bootstrap .venv
# with a Python 3.12 or newer found on this machine (see tools/find-python).

VENV := .venv
PYTHON := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export JAX_PLATFORMS ?= cpu
export MPLBACKEND ?= Agg

.PHONY: all venv run test lint format app benchmark clean

all: test

$(STAMP): pyproject.toml
	@interpreter=$$(tools/find-python) || exit 1; \
	if [ ! -x $(PYTHON) ]; then \
		echo "Creating $(VENV) with $$interpreter"; \
		"$$interpreter" -m venv $(VENV) || exit 1; \
	fi
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/modelfirst run ai-infrastructure

lint: $(STAMP)
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: lint
	$(PYTHON) -m pytest -q

app: $(STAMP)
	$(VENV)/bin/modelfirst app

benchmark: $(STAMP)
	$(PYTHON) -m benchmarks --quick

clean:
	rm -rf $(VENV) runs .pytest_cache .ruff_cache
