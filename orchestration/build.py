"""`vigie build`: the steps of Dagster's monitoring job, in its order, without Dagster.

dbt builds everything that does not read the Python steps' raw tables (its snapshot of the
predictions first); the KS / chi-square step tests the days that need it, the calibration step
fits the versions that need it and the domain classifier trains on the days that need it; then
dbt builds what reads them (feature_drift, drift_summary, multivariate_drift, the label-free
estimates, fairness_summary and what follows, with their tests), so the command line and
`dagster dev` give the same marts.
"""

from __future__ import annotations

from collections.abc import Sequence

from orchestration.assets.calibration import compute_calibrations
from orchestration.assets.drift import compute_drift_tests
from orchestration.assets.multivariate import compute_domain_classifiers
from orchestration.dbt_runner import run_dbt
from orchestration.warehouse import Warehouse, WarehouseConfig, relation_names
from orchestration.warehouse_init import init_warehouse

# What reads the Python steps' tables: built after them, as the monitoring job does.
AFTER_PYTHON_STEPS = ("source:raw.drift_tests+", "source:raw.score_calibration+",
                      "source:raw.domain_classifier_scores+",
                      "source:raw.domain_classifier_importance+")
# The relations the calibration and domain classifier steps start from.
CALIBRATION_INPUT = ("intermediate", "int_validation_scores_labelled")
DOMAIN_CLASSIFIER_INPUT = ("intermediate", "int_multivariate_drift_required")


def after_python_steps(select: Sequence[str]) -> list[str]:
    """The second dbt step: what reads the Python steps' tables, within the selection (each
    selector intersected with each step's descendants) when there is one."""
    if not select:
        return list(AFTER_PYTHON_STEPS)
    return [f"{step},{chosen}" for step in AFTER_PYTHON_STEPS for chosen in select]


def has_relation(warehouse: Warehouse, schema: str, name: str) -> bool:
    with warehouse.connect() as conn:
        return name in relation_names(conn, schema)


def build_warehouse(config: WarehouseConfig, *, full_refresh: bool = False,
                    select: Sequence[str] = (), target_path: str | None = None,
                    capture: bool = False) -> int:
    """dbt build, drift tests and calibrations, dbt build of what reads them; returns the
    drift tests computed.

    select: dbt selectors (default: the whole project); what of them reads raw.drift_tests or
    raw.score_calibration is built in the second step. The calibration step runs when the
    selection built its input (always without one). Raises DbtError when dbt fails.
    """
    warehouse = Warehouse(config)
    init_warehouse(warehouse)
    refresh = ["--full-refresh"] if full_refresh else []
    chosen = ["--select", *select] if select else []
    run_dbt(["build", *refresh, *chosen, "--exclude", *AFTER_PYTHON_STEPS], config,
            target_path=target_path, capture=capture)
    tests = compute_drift_tests(warehouse)
    if not select or has_relation(warehouse, *CALIBRATION_INPUT):
        compute_calibrations(warehouse)
    if not select or has_relation(warehouse, *DOMAIN_CLASSIFIER_INPUT):
        compute_domain_classifiers(warehouse)
    run_dbt(["build", *refresh, "--select", *after_python_steps(select)], config,
            target_path=target_path, capture=capture)
    return len(tests)
