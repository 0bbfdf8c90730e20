"""Vigie's generic dbt tests (macros/tests) on DuckDB, PostgreSQL and Spark: the integration project
tests/dbt_integration builds, every must-pass case returns no rows and every must-fail case
returns exactly the rows worked out by hand in its YAML; bad arguments are compile errors."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from orchestration.dbt_runner import dbt_env, dbt_executable, run_dbt_in_process
from orchestration.warehouse import Warehouse, WarehouseConfig

REPO_ROOT = Path(__file__).resolve().parents[2]
INTEGRATION_DIR = REPO_ROOT / "tests" / "dbt_integration"
INTEGRATION_PACKAGE = "vigie_integration_tests"
MACRO_DIRS = (REPO_ROOT / "macros" / "tests", REPO_ROOT / "macros" / "cross_db")

GENERIC_TESTS = (
    "expect_column_values_to_be_between",
    "expect_column_values_to_be_in_set",
    "expect_column_values_to_not_be_null",
    "expect_column_mean_to_be_between",
    "expect_column_stdev_to_be_between",
    "expect_column_quantile_values_to_be_between",
    "expect_column_proportion_of_unique_values_to_be_between",
    "expect_table_row_count_to_be_between",
    "expect_row_values_to_have_recent_data",
    "expect_compound_columns_to_be_unique",
    "expect_psi_to_be_below",
    "expect_drift_share_to_be_below",
    "expect_conformance_rate_to_be_above",
)
# A must-fail case errors when its test returned no rows and never warns (see seeds/_seeds.yml).
MUST_FAIL_CONFIG = {"error_if": "<1", "warn_if": "<0"}
# UTC+14: a helper that read the session clock instead of UTC would be half a day off.
FAR_TIME_ZONE = "Pacific/Kiritimati"
UTC_CLOCK_TEST = "current_timestamp_utc_matches_runner_clock"

# The messages the argument checks in macros/tests/_arguments.sql raise.
ERR_BOUNDS = "give `min_value`, `max_value` or both"
ERR_FRACTION = "argument `{argument}` must be a number in [0, 1]"
ERR_LIST = "argument `{argument}` must be a non-empty list"


def run_dbt_in(project_dir: Path, args: list[str], config: WarehouseConfig, target_path: str,
               extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run `dbt <args>` in `project_dir` with the root profiles.yml pointed at `config`."""
    env = dbt_env(config, target_path)
    env.update(extra_env or {})
    return subprocess.run([dbt_executable(), *args, "--target", config.target],
                          cwd=project_dir, env=env, text=True, capture_output=True, check=False)


def read_artifacts(target_path: str) -> tuple[dict, dict]:
    """The manifest and the run results dbt wrote to `target_path`."""
    target = Path(target_path)
    manifest = json.loads((target / "manifest.json").read_text())
    run_results = json.loads((target / "run_results.json").read_text())
    return manifest, run_results


def test_integration_project_passes_and_each_case_returns_its_rows(
        warehouse_config: WarehouseConfig, dbt_target_path: str) -> None:
    proc = run_dbt_in(
        INTEGRATION_DIR,
        ["build", "--vars", json.dumps({"runner_utc_now": runner_utc_now()})],
        warehouse_config, dbt_target_path,
        extra_env={"TZ": FAR_TIME_ZONE, "PGTZ": FAR_TIME_ZONE},
    )
    assert proc.returncode == 0, proc.stdout[-8000:] + proc.stderr[-2000:]
    with Warehouse(warehouse_config).connect() as conn:
        assert_cases(dbt_target_path,
                     lambda relation: conn.exec_driver_sql(
                         f"select count(*) from {relation}").scalar())


@pytest.mark.spark
def test_integration_project_passes_on_spark(spark_config: WarehouseConfig,
                                             dbt_target_path: str) -> None:
    # In this process: a local Spark catalog is this process's (orchestration/spark.py). The
    # JVM runs in UTC whatever TZ says, so the clock case checks the macro against the runner.
    proc = run_dbt_in_process(
        ["build", "--vars", json.dumps({"runner_utc_now": runner_utc_now()})], spark_config,
        target_path=dbt_target_path, project_dir=str(INTEGRATION_DIR))
    assert proc.returncode == 0, "dbt build of the integration project failed on Spark"
    warehouse = Warehouse(spark_config)
    assert_cases(dbt_target_path,
                 lambda relation: warehouse.scalar(f"select count(*) from {relation}"))


def runner_utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")


def assert_cases(dbt_target_path: str, count_rows) -> None:
    """Every integration test passed, returned the rows its YAML expects (a must-fail case at
    least one), and every generic test has a must-pass and a must-fail case."""
    manifest, run_results = read_artifacts(dbt_target_path)
    status = {result["unique_id"]: result["status"] for result in run_results["results"]}
    tests = [node for node in manifest["nodes"].values()
             if node["resource_type"] == "test" and node["package_name"] == INTEGRATION_PACKAGE]
    assert {node["name"] for node in tests} >= {UTC_CLOCK_TEST}, "the UTC clock test did not run"

    problems: list[str] = []
    cases: dict[str, set[str]] = {name: set() for name in GENERIC_TESTS}
    for node in tests:
        name, config = node["name"], node["config"]
        must_fail = all(config[key] == value for key, value in MUST_FAIL_CONFIG.items())
        if name.startswith("fail__") != must_fail:
            problems.append(f"{name}: a fail__ case needs {MUST_FAIL_CONFIG}, only it may")
        expected = config["meta"].get("expected_failures", 0)
        if must_fail and expected < 1:
            problems.append(f"{name}: a must-fail case needs meta.expected_failures >= 1")
        # store_failures keeps the rows the test returned, whatever its status.
        returned = count_rows(node["relation_name"])
        if status.get(node["unique_id"]) != "pass" or returned != expected:
            problems.append(f"{name}: status {status.get(node['unique_id'])}, "
                            f"{returned} rows returned, {expected} expected")
        generic = (node.get("test_metadata") or {}).get("name")
        if generic in cases:
            cases[generic].add("fail" if must_fail else "pass")

    for generic, kinds in cases.items():
        if kinds != {"pass", "fail"}:
            problems.append(f"{generic}: needs a must-pass and a must-fail case, has {kinds}")
    assert not problems, "\n".join(problems)


def write_project(project_dir: Path, name: str, schema_yml: str) -> None:
    """A one-model dbt project using Vigie's test macros, with `schema_yml` as its properties."""
    macro_paths = ", ".join(f'"{path}"' for path in MACRO_DIRS)
    (project_dir / "models").mkdir(parents=True)
    (project_dir / "dbt_project.yml").write_text(
        f"name: {name}\nversion: '0.1.0'\nconfig-version: 2\nprofile: vigie\n"
        f"macro-paths: [{macro_paths}]\n"
        f"dispatch:\n  - macro_namespace: vigie\n    search_order: [{name}]\n"
    )
    (project_dir / "models" / "one_row.sql").write_text(
        "select 1 as row_id, 0.5 as score, 'a' as category\n")
    (project_dir / "models" / "_models.yml").write_text(schema_yml)


def model_with_test(test_yaml: str) -> str:
    return ("version: 2\nmodels:\n  - name: one_row\n    data_tests:\n"
            f"      - {test_yaml}\n")


# One dbt parse each (a parse stops at the first error), so a few representative cases; every
# check is the same macro from _arguments.sql.
BAD_ARGUMENTS = [
    pytest.param("expect_column_mean_to_be_between: {arguments: {column_name: score}}",
                 ERR_BOUNDS, id="no-bounds"),
    pytest.param("expect_column_values_to_not_be_null: "
                 "{arguments: {column_name: score, mostly: 1.5}}",
                 ERR_FRACTION.format(argument="mostly"), id="mostly-above-one"),
    pytest.param("expect_compound_columns_to_be_unique: {arguments: {column_list: []}}",
                 ERR_LIST.format(argument="column_list"), id="empty-column-list"),
]


@pytest.mark.parametrize(("test_yaml", "message"), BAD_ARGUMENTS)
def test_bad_argument_is_a_compile_error_naming_it(test_yaml: str, message: str, tmp_path: Path,
                                                    duckdb_config: WarehouseConfig,
                                                    dbt_target_path: str) -> None:
    project_dir = tmp_path / "project"
    write_project(project_dir, "vigie_argument_checks", model_with_test(test_yaml))
    proc = run_dbt_in(project_dir, ["parse"], duckdb_config, dbt_target_path)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output[-4000:]
    assert "Compilation Error" in output, output[-4000:]
    assert f"{test_yaml.split(':')[0]}: " in output, output[-4000:]
    assert message in output, output[-4000:]


def test_must_fail_case_whose_test_returns_nothing_fails_the_build(
        tmp_path: Path, duckdb_config: WarehouseConfig, dbt_target_path: str) -> None:
    # one_row has no null score, so a not-null test returns no rows: as a must-fail case the
    # build must fail, which is what makes the integration project catch a test that never fires.
    project_dir = tmp_path / "project"
    write_project(project_dir, "vigie_must_fail_check", model_with_test(
        "expect_column_values_to_not_be_null: {name: fail__not_null__no_nulls, "
        "arguments: {column_name: score}, config: {error_if: '<1', warn_if: '<0'}}"))
    proc = run_dbt_in(project_dir, ["build"], duckdb_config, dbt_target_path)
    assert proc.returncode != 0, proc.stdout[-4000:]
    _, run_results = read_artifacts(dbt_target_path)
    status = {result["unique_id"].split(".")[2]: result["status"]
              for result in run_results["results"]}
    assert status == {"one_row": "success", "fail__not_null__no_nulls": "fail"}
