"""`vigie build`: the steps of Dagster's monitoring job, in its order, without Dagster.

dbt builds everything that does not read raw.drift_tests (its snapshot of the predictions
first), the KS / chi-square step tests the days that need it, then dbt builds what reads the
tests (feature_drift, drift_summary and their tests), so the command line and `dagster dev`
give the same marts.
"""

from __future__ import annotations

from collections.abc import Sequence

from orchestration.assets.drift import compute_drift_tests
from orchestration.dbt_runner import run_dbt
from orchestration.raw_contract import init_warehouse
from orchestration.warehouse import Warehouse, WarehouseConfig

# What reads the Python drift step's table: built after it, as the monitoring job does.
AFTER_DRIFT_TESTS = "source:raw.drift_tests+"


def build_warehouse(config: WarehouseConfig, *, full_refresh: bool = False,
                    select: Sequence[str] = (), target_path: str | None = None,
                    capture: bool = False) -> int:
    """dbt build, drift tests, dbt build of the drift marts; returns the tests computed.

    select: dbt selectors for the first dbt step (default: the whole project); the second step
    always builds everything downstream of raw.drift_tests. Raises DbtError when dbt fails.
    """
    warehouse = Warehouse(config)
    init_warehouse(warehouse)
    refresh = ["--full-refresh"] if full_refresh else []
    chosen = ["--select", *select] if select else []
    run_dbt(["build", *refresh, *chosen, "--exclude", AFTER_DRIFT_TESTS], config,
            target_path=target_path, capture=capture)
    tests = compute_drift_tests(warehouse)
    run_dbt(["build", *refresh, "--select", AFTER_DRIFT_TESTS], config,
            target_path=target_path, capture=capture)
    return len(tests)
