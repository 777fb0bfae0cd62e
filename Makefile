# Every target builds .venv on first use; `make test` and `make demo` work on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo lint test bench faults clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

# The app on the bundled hello-world sweep (offline: the dummy backends simulate the model).
demo: $(STAMP)
	$(VENV)/bin/motools-tui --spec examples/hello_world_sweep.yaml

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: lint
	TINKER_TELEMETRY=0 $(PY) -m pytest -q

faults: $(STAMP)
	TINKER_TELEMETRY=0 MOTOOLS_FAULTS_LONG=1 $(PY) -m pytest -q tests/faults

bench: $(STAMP)
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) .motools .pytest_cache
