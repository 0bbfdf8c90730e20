"""The project's Dagster instance: one home (<project>/.dagster_home) for `vigie run` and
`make dagster`, so the UI shows the runs, materializations and check results of `vigie run`.

Its dagster.yaml queues runs and lets one run that writes the warehouse go at a time
(jobs.WAREHOUSE_TAG): every run appends to the same raw tables and incremental marts.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import dagster as dg

from orchestration.jobs import WAREHOUSE_TAG
from orchestration.warehouse import default_project_dir

HOME_FOLDER = ".dagster_home"
DAGSTER_YAML = f"""\
# Written by orchestration/instance.py (vigie run, make dagster); edit freely, it is kept.
run_queue:
  max_concurrent_runs: 4
  tag_concurrency_limits:
    # every Vigie job writes the warehouse: one such run at a time
    - key: {WAREHOUSE_TAG}
      limit: 1
telemetry:
  enabled: false
"""


def dagster_home(project_dir: str | Path | None = None) -> Path:
    """$DAGSTER_HOME when set, else <project>/.dagster_home (the Makefile's rule too)."""
    if os.environ.get("DAGSTER_HOME"):
        return Path(os.environ["DAGSTER_HOME"])
    return Path(project_dir or default_project_dir()) / HOME_FOLDER


def prepare_dagster_home(project_dir: str | Path | None = None) -> Path:
    """Create the home with its dagster.yaml (kept when it exists) and point DAGSTER_HOME at it."""
    home = dagster_home(project_dir).resolve()
    home.mkdir(parents=True, exist_ok=True)
    settings = home / "dagster.yaml"
    if not settings.exists():
        settings.write_text(DAGSTER_YAML)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def project_instance(project_dir: str | Path | None = None) -> dg.DagsterInstance:
    """The persistent instance under the project's Dagster home (not an ephemeral one)."""
    prepare_dagster_home(project_dir)
    return dg.DagsterInstance.get()


if __name__ == "__main__":  # `make dagster`: prepare the home, print where it is
    sys.stdout.write(f"{prepare_dagster_home()}\n")
