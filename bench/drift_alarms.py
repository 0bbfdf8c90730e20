"""`python -m bench.drift_alarms`: how many drift alarms each rule raises, with no drift and with
the incident.

    python -m bench.drift_alarms [--days 60] [--per-day 1000] [--workdir /tmp/vigie-bench-alarms]

For each scenario (`clean`: production drawn like the reference, so every alarm is false;
`migration`: the incident), one warehouse is simulated, then built once per rule set, each
time with a copy of the project whose seeds/thresholds.csv (and feature_schema.csv's
drift_test) say the rule. marts.feature_drift is rebuilt whole from the stored statistics at
every build, so the rule sets see the same data and the same tests. The counts are read from
the marts (the rules live there, nowhere else):

- raw p-value: feature-days with is_drifted_raw_pvalue (p < drift_alpha, no effect size);
- effect size: drift_fdr_level empty, is_drifted (p < drift_alpha and KS / Cramér's V >= 0.1);
- FDR: Benjamini-Hochberg at drift_fdr_level 0.01 across a day's features, and the effect size;
- FDR + N days in a row: is_drift_alert with drift_consecutive_windows N;
- Wasserstein / Jensen-Shannon: every feature's test as `auto` picks it above 1,000 reference
  rows (Evidently's rule for large data), thresholds 0.1.

Per rule set: flagged feature-days, days not `ok` in drift_summary, and on `migration` the first
day in alert. Writes bench/results/drift-alarms.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from bench.__main__ import RESULTS_DIR, log, machine

REPO = Path(__file__).resolve().parent.parent
PROJECT_PARTS = ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "snapshots",
                 "tests/dbt")
START = dt.date(2026, 1, 5)
# name → (thresholds to set, drift_test for every feature or None to keep the seed's)
RULE_SETS: dict[str, tuple[dict[str, object], str | None]] = {
    "effect size (raw p < 0.01, effect >= 0.1)": (
        {"drift_fdr_level": "", "drift_consecutive_windows": 1}, None),
    "FDR (BH 0.01) + effect size": ({"drift_fdr_level": 0.01, "drift_consecutive_windows": 1},
                                    None),
    "FDR + effect size, 2 days in a row": (
        {"drift_fdr_level": 0.01, "drift_consecutive_windows": 2}, None),
    "FDR + effect size, 3 days in a row": (
        {"drift_fdr_level": 0.01, "drift_consecutive_windows": 3}, None),
    "Wasserstein / Jensen-Shannon (0.1)": (
        {"drift_fdr_level": 0.01, "drift_consecutive_windows": 1,
         "auto_drift_max_reference_rows": 0}, "auto"),
}
COUNTS_SQL = """
select
    (select sum(case when is_drifted_raw_pvalue then 1 else 0 end) from marts.feature_drift)
        as raw_pvalue_feature_days,
    (select sum(case when is_drift_alert then 1 else 0 end) from marts.feature_drift)
        as flagged_feature_days,
    (select count(*) from marts.feature_drift) as feature_days,
    (select sum(case when status <> 'ok' then 1 else 0 end) from marts.drift_summary)
        as days_not_ok,
    (select count(*) from marts.drift_summary) as days,
    (select min(window_date) from marts.drift_summary where status = 'alert') as first_alert_day
"""


def copy_project(root: Path) -> Path:
    for part in PROJECT_PARTS:
        source, target = REPO / part, root / part
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copy(source, target)
    return root


def set_rules(project: Path, thresholds: dict[str, object], drift_test: str | None) -> None:
    path = project / "seeds" / "thresholds.csv"
    frame = pd.read_csv(path, keep_default_na=False, dtype=str)
    for name, value in thresholds.items():
        frame.loc[frame["threshold_name"] == name, "threshold_value"] = str(value)
    frame.to_csv(path, index=False)
    path = project / "seeds" / "feature_schema.csv"
    schema = pd.read_csv(path, keep_default_na=False, dtype=str)
    original = pd.read_csv(REPO / "seeds" / "feature_schema.csv", keep_default_na=False,
                           dtype=str)
    schema["drift_test"] = drift_test if drift_test else original["drift_test"]
    schema.to_csv(path, index=False)


def vigie(args: list[str], env: dict[str, str], out: Path) -> None:
    with out.open("a") as handle:
        code = subprocess.run([str(Path(sys.executable).with_name("vigie")), *args],
                              cwd=REPO, env=env, stdout=handle, stderr=handle,
                              check=False).returncode
    if code != 0:
        raise RuntimeError(f"vigie {args[0]} failed: see {out}")


def run_scenario(scenario: str, folder: Path, days: int, per_day: int) -> dict[str, Any]:
    if folder.exists():
        shutil.rmtree(folder)
    project = copy_project(folder / "project")
    env = dict(os.environ, VIGIE_TARGET="duckdb", VIGIE_PROJECT_DIR=str(project),
               VIGIE_DUCKDB_PATH=str(folder / "vigie.duckdb"),
               VIGIE_MODEL_STORE=str(folder / "models"), DBT_TARGET_PATH=str(folder / "target"),
               DBT_LOG_PATH=str(folder / "logs"))
    out = folder / "vigie.out"
    log(f"   {scenario}: simulate {days} days × {per_day:,}")
    vigie(["simulate", "--days", str(days), "--per-day", str(per_day), "--scenario", scenario,
           "--seed", "7", "--start-date", START.isoformat()], env, out)
    results = {}
    for name, (thresholds, drift_test) in RULE_SETS.items():
        log(f"   {scenario}: build with {name}")
        set_rules(project, thresholds, drift_test)
        vigie(["build"], env, out)
        with duckdb.connect(str(folder / "vigie.duckdb"), read_only=True) as conn:
            row = conn.execute(COUNTS_SQL).fetchone()
            columns = [d[0] for d in conn.description]
        counts = dict(zip(columns, row, strict=True))
        counts["first_alert_day"] = (None if counts["first_alert_day"] is None
                                     else counts["first_alert_day"].isoformat())
        results[name] = {k: (int(v) if isinstance(v, int | float) and v is not None else v)
                         for k, v in counts.items()}
    return results


def markdown(result: dict[str, Any]) -> str:
    clean, migration = result["scenarios"]["clean"], result["scenarios"]["migration"]
    first = next(iter(clean.values()))
    lines = [f"| rule | clean: flagged feature-days (of {first['feature_days']:,}) | "
             f"clean: days not ok (of {first['days']}) | migration: flagged feature-days | "
             "migration: days not ok | migration: first day in alert |",
             "|---|---:|---:|---:|---:|---|",
             f"| raw p-value (p < 0.01, nothing else) | {first['raw_pvalue_feature_days']} | "
             f"– | {next(iter(migration.values()))['raw_pvalue_feature_days']} | – | – |"]
    for name in RULE_SETS:
        c, m = clean[name], migration[name]
        lines.append(f"| {name} | {c['flagged_feature_days']} | {c['days_not_ok']} | "
                     f"{m['flagged_feature_days']} | {m['days_not_ok']} | "
                     f"{m['first_alert_day'] or 'never'} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--per-day", type=int, default=1000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/vigie-bench-alarms"))
    args = parser.parse_args(argv)
    result: dict[str, Any] = {"days": args.days, "per_day": args.per_day,
                              "start_date": START.isoformat(), "machine": machine(),
                              "started_at": dt.datetime.now(dt.UTC).isoformat(
                                  timespec="seconds"), "scenarios": {}}
    for scenario in ("clean", "migration"):
        result["scenarios"][scenario] = run_scenario(scenario, args.workdir / scenario,
                                                     args.days, args.per_day)
    result["markdown"] = markdown(result)
    (RESULTS_DIR / "drift-alarms.json").write_text(json.dumps(result, indent=2) + "\n")
    print(result["markdown"])
    return result


if __name__ == "__main__":
    main()
