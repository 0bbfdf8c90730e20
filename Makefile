# The two commands of the README: `make run` and `make test`. Both install what they need.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test install lint bench dagster clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,spark]"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

## The main job on the embedded DuckDB warehouse (warehouse/vigie.duckdb).
run: $(STAMP)
	$(BIN)/vigie run

## The whole test suite (DuckDB always; PostgreSQL when a server answers on 127.0.0.1:5432).
## Files go to the workers in collection order (conftest.py puts the heaviest first), not
## xdist's default of most tests first, which left the one-test end-to-end files for last.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n 2 --dist loadfile --no-loadscope-reorder --durations=25

## The Dagster UI on http://127.0.0.1:3000, on the instance `vigie run` records its runs in
## ($DAGSTER_HOME, else .dagster_home: its dagster.yaml lets one warehouse-writing run go at a time).
DAGSTER_HOME ?= $(CURDIR)/.dagster_home
dagster: $(STAMP)
	DAGSTER_HOME=$(DAGSTER_HOME) $(BIN)/python -m orchestration.instance
	DAGSTER_HOME=$(DAGSTER_HOME) $(BIN)/dagster dev

# The reference tools (Evidently needs pandas 2) get a venv of their own, never .venv. Then the
# whole job from files to a promotion decision, stage by stage, in Vigie's own .venv
# (bench/results/pipeline-<rows>.json).
bench: $(STAMP)
	$(PYTHON) -m venv .venv-bench
	.venv-bench/bin/python -m pip install --quiet -e ".[bench]"
	.venv-bench/bin/python -m bench --rows 100000 1000000
	$(BIN)/python -m bench.pipeline --rows 100000
	$(BIN)/python -m bench.pipeline --rows 1000000
	$(BIN)/python -m bench.pipeline --rows 10000000

clean:
	rm -rf target logs warehouse .dagster_home
