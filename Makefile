# Every target sets up .venv first, so each works on a fresh clone with only Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# Keep Prefect's state inside the project and send nothing outside this machine.
export PREFECT_HOME ?= $(CURDIR)/data/prefect
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1
export PREFECT_SERVER_UI_SHOW_PROMOTIONAL_CONTENT := false

.PHONY: setup run test serve browse bench reliability clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

run: setup  ## every source, from the bundled recorded documents, into data/warehouse.db
	$(BIN)/sanctrace migrate
	$(BIN)/sanctrace run

# Two pytest-xdist workers, a whole test module at a time (tests/conftest.py): the modules that use the
# session's Prefect server are one group, so one worker starts that one server; the workers share the other
# modules. TEST_WORKERS=0 runs it in this process, one test after another.
TEST_WORKERS ?= 2
test: setup  ## the whole suite (PostgreSQL half runs where SANCTRACE_TEST_POSTGRES_URL is set)
	@mkdir -p $(PREFECT_HOME)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

reliability: setup  ## every test marked slow: SIGKILLs over a 200k-figure load, concurrent collect_all runs, five deployments on two workers (Prefect on PostgreSQL), S3 store, alerts, the fault matrix's rows beyond its quick ones
	$(BIN)/python -m pytest -m slow -p no:cacheprovider $(PYTEST_ARGS) tests/

clean:
	rm -rf data .pytest_cache

BENCH_STAMP := $(VENV)/.bench-stamp
$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install -q -e '.[bench]'
	touch $(BENCH_STAMP)

# PostgreSQL: SANCTRACE_TEST_POSTGRES_URL, else postgresql://postgres@127.0.0.1:5432/test (each bench
# creates and drops its own database). BENCH_ARGS e.g. --rows 20000 for a quick run; the scale run
# (ours and the schema's limit at 10M rows, then three times at 1M) takes BENCH_SCALE_ARGS, e.g.
# --rows 40000 --base-rows 4000.
BENCH_SCALE_ARGS ?= --rows 10000000
bench: $(BENCH_STAMP)  ## every benchmark in bench/, each printing its table (docs/PERFORMANCE.md)
	$(BIN)/python bench/load.py $(BENCH_ARGS)
	$(BIN)/python bench/load.py --contenders ours,schema $(BENCH_SCALE_ARGS)
	$(BIN)/python bench/reload.py $(BENCH_ARGS)
	$(BIN)/python bench/run_all.py
	$(BIN)/python bench/fsf.py
	$(BIN)/python bench/export.py $(BENCH_ARGS)
	$(BIN)/python bench/schema_study.py $(BENCH_ARGS)
	$(BIN)/python bench/migrate.py $(BENCH_ARGS)

browse: setup  ## Datasette over data/warehouse.db (read-only) with provenance pages, on 127.0.0.1:8001
	$(BIN)/sanctrace browse

serve: setup  ## local Prefect server + work pool + all deployments + a worker; Ctrl-C stops all
	$(BIN)/sanctrace migrate
	$(BIN)/python -m sanctrace.serve
