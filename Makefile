# Two commands set everything up on a fresh machine: `make demo` and `make test`.
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3
export DAGSTER_HOME ?= $(CURDIR)/dagster_home
export PATH := $(CURDIR)/$(BIN):$(PATH)

# dagster-dbt loads the dbt manifest at import: build it whenever the dbt project changes.
MANIFEST := transform/target/manifest.json
DBT_SOURCES := $(shell find transform/models transform/macros transform/seeds transform/tests -type f 2>/dev/null) \
	transform/dbt_project.yml transform/profiles.yml

.PHONY: install demo test ui bench-ingest bench-quality bench-incremental bench-semantic clean

# Dagster's CLI reads DAGSTER_HOME from a .env in the working directory (it must be absolute), so
# `dagster schedule list -w workspace.yaml` works from here in a fresh shell; so does `ecomops run`.
# Added once to your .env (gitignored, yours to edit): a .env value wins over an exported one in Dagster.
install: $(VENV)/.installed $(MANIFEST)
	@grep -qs '^DAGSTER_HOME=' .env || { test ! -s .env || echo >> .env; echo "DAGSTER_HOME='$(DAGSTER_HOME)'" >> .env; }

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[test]'
	touch $@

# Parsing needs the salt variable to exist, not its value: the real salt is read at run time.
$(MANIFEST): $(VENV)/.installed $(DBT_SOURCES)
	ECOMOPS_BUYER_SALT=manifest-only $(BIN)/dagster-dbt project prepare-and-package --file orchestration/transform/project.py
	touch $@

demo: install
	$(BIN)/ecomops generate --out data/landing
	$(BIN)/ecomops run

test: install
	$(BIN)/python -m pytest

ui: install
	$(BIN)/dagster dev -h 127.0.0.1 -p 3000 -w workspace.yaml

bench-ingest: install
	$(BIN)/python bench/bench_ingest.py

bench-quality: install
	$(BIN)/python bench/bench_quality.py

bench-incremental: install
	$(BIN)/python bench/bench_incremental.py

# On the serving copy `make demo` publishes.
bench-semantic: install
	$(BIN)/python bench/bench_semantic.py

clean:
	rm -rf data && git clean -fdXq dagster_home
