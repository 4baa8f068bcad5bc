# Two commands for a newcomer: `make run` (demo on bundled samples) and `make test` (whole suite).
# Both create the virtual environment from the locked requirements when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench lock clean

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/areavasta demo

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q

bench: $(STAMP)
	$(BIN)/python bench/ingest.py

# Regenerate requirements.lock from pyproject.toml (run after changing a dependency).
lock:
	rm -rf /tmp/areavasta-lock && $(PYTHON) -m venv /tmp/areavasta-lock
	/tmp/areavasta-lock/bin/pip install --quiet --upgrade pip
	/tmp/areavasta-lock/bin/pip install --quiet -e ".[dev]"
	/tmp/areavasta-lock/bin/pip freeze --exclude-editable | grep -v '^-e' > requirements.lock

clean:
	rm -rf $(VENV) var .pytest_cache
