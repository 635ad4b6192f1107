# `make run` serves the hub on http://127.0.0.1:7860 with the shipped models; `make test` runs the test suite.
# Both create .venv and install requirements.txt on first use.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run test bench

install: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

run: $(STAMP)
	$(PY) app.py

test: $(STAMP)
	$(PY) -m pytest -q

# Every benchmark writes benchmarks/results/<name>.json; report.py (not a benchmark) then writes benchmarks/RESULTS.md.
bench: $(STAMP)
	for script in $(filter-out benchmarks/report.py benchmarks/_%.py,$(wildcard benchmarks/*.py)); do $(PY) $$script || exit 1; done
	$(PY) benchmarks/report.py
