"""The sequence of issue 9 through the real `vigie` command: build on an empty warehouse, then
simulate, then build. Before, the second build went red and the monitoring marts stayed empty
(the incremental watermark of an existing, empty table was null); now every day is built and
`vigie build` alone gives KS statistics and p-values for every numeric feature and day."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import make_config

from orchestration.warehouse import Warehouse

VIGIE = str(Path(sys.executable).with_name("vigie"))
DAYS, PER_DAY = 5, 500


def vigie(config, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    target = tmp_path / "dbt_target"
    env = {**os.environ, **config.dbt_env(), "DBT_TARGET_PATH": str(target),
           "DBT_LOG_PATH": str(target / "logs")}
    return subprocess.run([VIGIE, *args], env=env, cwd=tmp_path, capture_output=True,
                          text=True, check=False)


def test_build_on_empty_then_simulate_then_build_fills_every_mart(tmp_path):
    config, _ = make_config("duckdb", tmp_path)
    for args in (("init",), ("build",),
                 ("simulate", "--days", str(DAYS), "--per-day", str(PER_DAY),
                  "--scenario", "clean", "--seed", "3"),
                 ("build",)):
        done = vigie(config, tmp_path, *args)
        assert done.returncode == 0, (args, done.stdout[-3000:], done.stderr[-3000:])

    wh = Warehouse(config)
    assert wh.scalar("select count(*) from raw.predictions") == DAYS * PER_DAY
    # Every day of predictions is in the monitoring marts (5 days, one served version).
    assert wh.scalar("select count(distinct window_date) from marts.drift_summary") == DAYS
    assert wh.scalar("select count(distinct window_date) from marts.schema_conformance") == DAYS
    assert wh.scalar("select sum(n_rows) from marts.schema_conformance "
                     "where feature_name = 'age'") == DAYS * PER_DAY
    numeric = wh.scalar("select count(*) from raw.feature_schema where feature_type in "
                        "('numeric', 'integer')")
    assert numeric > 0
    # KS statistic and p-value for every numeric feature and day, with no Dagster involved.
    assert wh.scalar("select count(*) from marts.feature_drift where feature_type in "
                     "('numeric', 'integer') and ks_statistic is not null "
                     "and ks_pvalue is not null") == numeric * DAYS
