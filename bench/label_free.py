"""`python -m bench.label_free`: how much earlier fairness without labels signals the incident
than the labelled marts, and how often it signals when nothing happened.

    python -m bench.label_free [--days 60] [--per-day 1000] [--workdir /tmp/vigie-bench-label-free]

For `migration` (the incident) and `clean` (production drawn like the reference: every signal
is false), one warehouse is simulated and built with the project as it is. Everything is read
from the marts (the rules live there): per sensitive attribute of the production version,

- label-free: the first day fairness_summary's estimated equalized odds difference is past
  equalized_odds_bound (passes_estimated_equalized_odds false), and the first day its band is
  wholly past it (fairness_alerts' estimated_equalized_odds);
- labelled: the same two days for the equalized odds difference of the labels (passes_equalized_odds
  false; fairness_alerts' equalized_odds, day and 7-day windows);
- when the labelled signal could be seen: a day's labels arrive 3 to 20 days after its
  predictions (raw.feedback), so the labelled number of day d stands on all its labels only
  from the last arrival on; the median arrival says when half of them were in.

Writes bench/results/label-free.json and label-free.md (a section of bench/README.md).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
from pathlib import Path
from typing import Any

import duckdb

from bench.__main__ import RESULTS_DIR, log, machine
from bench.drift_alarms import START, copy_project, vigie

SCENARIOS = ("migration", "clean")
# The first day of each signal per attribute, from the marts.
FIRST_DAYS_SQL = """
with production as (
    select model_version from marts.drift_summary
    group by model_version order by count(*) desc limit 1
),
summary as (
    select * from marts.fairness_summary
    where model_version in (select model_version from production)
),
alerts as (
    select * from marts.fairness_alerts
    where model_version in (select model_version from production)
)
select
    summary.attribute,
    min(case when not passes_estimated_equalized_odds then window_date end)
        as estimate_past_bound,
    (select min(window_date) from alerts where alerts.attribute = summary.attribute
        and check_name = 'estimated_equalized_odds') as estimate_band_past_bound,
    min(case when not passes_equalized_odds then window_date end) as labelled_past_bound,
    (select min(window_date) from alerts where alerts.attribute = summary.attribute
        and check_name = 'equalized_odds' and window_kind = 'day') as labelled_interval_past_bound,
    (select min(window_date) from alerts where alerts.attribute = summary.attribute
        and check_name = 'equalized_odds' and window_kind = '7d')
        as labelled_7d_interval_past_bound,
    sum(case when not passes_estimated_equalized_odds then 1 else 0 end) as estimate_days_past,
    (select count(*) from alerts where alerts.attribute = summary.attribute
        and check_name = 'estimated_equalized_odds') as estimate_band_days_past,
    sum(case when not passes_equalized_odds then 1 else 0 end) as labelled_days_past,
    (select count(*) from alerts where alerts.attribute = summary.attribute
        and check_name = 'equalized_odds' and window_kind = 'day') as labelled_interval_days_past,
    count(*) as days
from summary
group by summary.attribute
order by summary.attribute
"""
# When each day's labels arrived (the latest label of each prediction).
LABEL_ARRIVAL_SQL = """
select
    cast(predictions.scored_at as date) as window_date,
    min(cast(feedback.received_at as date)) as first_label,
    cast(quantile_disc(feedback.received_at, 0.5) as date) as median_label,
    max(cast(feedback.received_at as date)) as last_label
from raw.feedback as feedback
inner join raw.predictions as predictions on feedback.prediction_id = predictions.prediction_id
where feedback.kind = 'label'
group by 1
"""


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def run_scenario(scenario: str, folder: Path, days: int, per_day: int) -> dict[str, Any]:
    if folder.exists():
        shutil.rmtree(folder)
    project = copy_project(folder / "project")
    env = dict(os.environ, VIGIE_TARGET="duckdb", VIGIE_PROJECT_DIR=str(project),
               VIGIE_DUCKDB_PATH=str(folder / "vigie.duckdb"),
               VIGIE_MODEL_STORE=str(folder / "models"), DBT_TARGET_PATH=str(folder / "target"),
               DBT_LOG_PATH=str(folder / "logs"))
    out = folder / "vigie.out"
    log(f"   {scenario}: simulate {days} days × {per_day:,}, then build")
    vigie(["simulate", "--days", str(days), "--per-day", str(per_day), "--scenario", scenario,
           "--seed", "7", "--start-date", START.isoformat()], env, out)
    vigie(["build"], env, out)
    with duckdb.connect(str(folder / "vigie.duckdb"), read_only=True) as conn:
        first = conn.execute(FIRST_DAYS_SQL).df()
        arrivals = conn.execute(LABEL_ARRIVAL_SQL).df().set_index("window_date")
    attributes = {}
    for row in first.to_dict("records"):
        labelled = row["labelled_interval_past_bound"]
        arrival = arrivals.loc[labelled] if labelled is not None and labelled in arrivals.index \
            else None
        attributes[row.pop("attribute")] = {
            **{k: _iso(v) if not hasattr(v, "item") else v.item() for k, v in row.items()},
            "labelled_interval_day_median_label": None if arrival is None
            else _iso(arrival["median_label"]),
            "labelled_interval_day_last_label": None if arrival is None
            else _iso(arrival["last_label"])}
    return attributes


def _days_between(start: str | None, end: str | None) -> str:
    if not start or not end:
        return "–"
    return str((dt.date.fromisoformat(end) - dt.date.fromisoformat(start)).days)


def markdown(result: dict[str, Any]) -> str:
    migration, clean = result["scenarios"]["migration"], result["scenarios"]["clean"]
    load = " / ".join(f"{x:.2f}" for x in result["machine"]["load_average_at_start"])
    lines = [
        "## Fairness before the labels (`python -m bench.label_free`)\n",
        f"{result['days']} days × {result['per_day']:,} predictions from {result['start_date']}"
        f" (seed 7), production version only; equalized_odds_bound 0.1, bands ± 3 standard "
        f"errors, bootstrap intervals 95 %. Load average at start {load}.\n",
        "**migration** (the incident starts on day 31): the first day each signal is past the "
        "bound. A label-free signal is known at the end of its day; a labelled one waits for "
        "that day's labels (3 to 20 days), so it is shown with the day half of them and all "
        "of them had arrived.\n",
        "| attribute | estimate past bound | estimate's band past bound | labels: point past "
        "bound | labels: interval past bound (day) | its labels half in / all in | labels: "
        "interval past bound (7 days) | days earlier (band vs interval, all labels in) |",
        "|---|---|---|---|---|---|---|---:|"]
    for attribute, row in migration.items():
        band, labels_in = row["estimate_band_past_bound"], row["labelled_interval_day_last_label"]
        lines.append(
            f"| {attribute} | {row['estimate_past_bound'] or 'never'} | {band or 'never'} | "
            f"{row['labelled_past_bound'] or 'never'} | "
            f"{row['labelled_interval_past_bound'] or 'never'} | "
            f"{row['labelled_interval_day_median_label'] or '–'} / {labels_in or '–'} | "
            f"{row['labelled_7d_interval_past_bound'] or 'never'} | "
            f"{_days_between(band, labels_in)} |")
    lines += ["", "**clean** (no incident: every day past the bound is a false alarm), days of "
                  f"{next(iter(clean.values()))['days']}:\n",
              "| attribute | estimate past bound | estimate's band past bound | labels: point "
              "past bound | labels: interval past bound |",
              "|---|---:|---:|---:|---:|"]
    for attribute, row in clean.items():
        lines.append(f"| {attribute} | {row['estimate_days_past']} | "
                     f"{row['estimate_band_days_past']} | {row['labelled_days_past']} | "
                     f"{row['labelled_interval_days_past']} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--per-day", type=int, default=1000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/vigie-bench-label-free"))
    args = parser.parse_args(argv)
    result: dict[str, Any] = {"days": args.days, "per_day": args.per_day,
                              "start_date": START.isoformat(), "machine": machine(),
                              "started_at": dt.datetime.now(dt.UTC).isoformat(
                                  timespec="seconds"), "scenarios": {}}
    for scenario in SCENARIOS:
        result["scenarios"][scenario] = run_scenario(scenario, args.workdir / scenario,
                                                     args.days, args.per_day)
    text = markdown(result)
    (RESULTS_DIR / "label-free.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS_DIR / "label-free.md").write_text(text)
    print(text)
    return result


if __name__ == "__main__":
    main()
