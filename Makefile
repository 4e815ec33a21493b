# Two commands set everything up on a fresh machine: `make demo` and `make test`.
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3
export DAGSTER_HOME ?= $(CURDIR)/dagster_home

.PHONY: install demo test ui bench-ingest clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[test]'
	touch $@

demo: install
	$(BIN)/ecomops generate --out data/landing
	$(BIN)/ecomops run

test: install
	$(BIN)/python -m pytest

ui: install
	mkdir -p $(DAGSTER_HOME)
	$(BIN)/dagster dev -h 127.0.0.1 -p 3000 -w workspace.yaml

bench-ingest: install
	$(BIN)/python bench/bench_ingest.py

clean:
	rm -rf data && git clean -fdXq dagster_home
