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
import pandas as pd

from bench.__main__ import RESULTS_DIR, log, machine
from bench.drift_alarms import START, copy_project, vigie

SCENARIOS = ("migration", "clean")
# Per attribute of the production version: the first day from :since each signal is past the
# bound, and on how many days before :since and from it it was, from the marts.
SIGNALS = {
    "estimate": "not passes_estimated_equalized_odds",
    "estimate_band": "check_name = 'estimated_equalized_odds' and window_kind = 'day'",
    "labels": "not passes_equalized_odds",
    "labels_interval": "check_name = 'equalized_odds' and window_kind = 'day'",
    "labels_interval_7d": "check_name = 'equalized_odds' and window_kind = '7d'",
}
FIRST_DAYS_SQL = """
with production as (
    select model_version from marts.drift_summary
    group by model_version order by count(*) desc limit 1
),
days as (
    select summary.window_date, summary.attribute, {summary_flags}
    from marts.fairness_summary as summary
    where model_version in (select model_version from production)
),
alerts as (
    select window_date, attribute, {alert_flags}
    from marts.fairness_alerts
    where model_version in (select model_version from production)
),
flags as (
    select * from days
    union all
    select * from alerts
)
select attribute, {first_days}, {counts}, count(distinct window_date) as days
from flags
group by attribute
order by attribute
"""


def first_days_sql(since: dt.date) -> str:
    summary = ", ".join(f"case when {rule} then 1 else 0 end as {name}"
                        for name, rule in SIGNALS.items() if "check_name" not in rule)
    summary += ", " + ", ".join(f"0 as {name}" for name, rule in SIGNALS.items()
                                if "check_name" in rule)
    alert = ", ".join(f"0 as {name}" for name, rule in SIGNALS.items()
                      if "check_name" not in rule)
    alert += ", " + ", ".join(f"case when {rule} then 1 else 0 end as {name}"
                              for name, rule in SIGNALS.items() if "check_name" in rule)
    day = f"date '{since.isoformat()}'"
    first = ", ".join(f"min(case when {name} = 1 and window_date >= {day} then window_date end)"
                      f" as {name}_first" for name in SIGNALS)
    counts = ", ".join(
        f"sum(case when {name} = 1 and window_date < {day} then 1 else 0 end) as {name}_before, "
        f"sum(case when {name} = 1 and window_date >= {day} then 1 else 0 end) as {name}_from"
        for name in SIGNALS)
    return FIRST_DAYS_SQL.format(summary_flags=summary, alert_flags=alert, first_days=first,
                                 counts=counts)


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


def _plain(value: Any) -> Any:
    """A value of the marts' frame as JSON: None, a whole count as int, a day as ISO text."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, float | int) or hasattr(value, "item") and not hasattr(value, "date"):
        number = value.item() if hasattr(value, "item") else value
        return int(number) if float(number).is_integer() else number
    return _iso(value)


def _iso(value: Any) -> Any:
    """A date or timestamp as its ISO day; anything else as it is."""
    if isinstance(value, dt.datetime):  # pandas' Timestamp too
        return value.date().isoformat()
    return value.isoformat() if isinstance(value, dt.date) else value


def run_scenario(scenario: str, folder: Path, days: int, per_day: int, *,
                 reuse: bool = False) -> dict[str, Any]:
    """Simulate and build the scenario in `folder` (or, with `reuse`, read the warehouse an
    earlier run left there), and read the first days of each signal."""
    if not reuse:
        if folder.exists():
            shutil.rmtree(folder)
        project = copy_project(folder / "project")
        env = dict(os.environ, VIGIE_TARGET="duckdb", VIGIE_PROJECT_DIR=str(project),
                   VIGIE_DUCKDB_PATH=str(folder / "vigie.duckdb"),
                   VIGIE_MODEL_STORE=str(folder / "models"),
                   DBT_TARGET_PATH=str(folder / "target"), DBT_LOG_PATH=str(folder / "logs"))
        out = folder / "vigie.out"
        log(f"   {scenario}: simulate {days} days × {per_day:,}, then build")
        vigie(["simulate", "--days", str(days), "--per-day", str(per_day), "--scenario",
               scenario, "--seed", "7", "--start-date", START.isoformat()], env, out)
        vigie(["build"], env, out)
    since = START + dt.timedelta(days=days // 2) if scenario == "migration" else START
    with duckdb.connect(str(folder / "vigie.duckdb"), read_only=True) as conn:
        first = conn.execute(first_days_sql(since)).df()
        arrivals = conn.execute(LABEL_ARRIVAL_SQL).df().set_index("window_date")
    attributes = {}
    for row in first.to_dict("records"):
        labelled = row["labels_interval_first"]
        arrival = (arrivals.loc[labelled]
                   if labelled is not None and not pd.isna(labelled) and labelled in arrivals.index
                   else None)
        attributes[row.pop("attribute")] = {
            **{k: _plain(v) for k, v in row.items()},
            "since": since.isoformat(),
            "labels_interval_first_median_label": None if arrival is None
            else _iso(arrival["median_label"]),
            "labels_interval_first_last_label": None if arrival is None
            else _iso(arrival["last_label"])}
    return attributes


def _days_between(start: str | None, end: str | None) -> str:
    if not start or not end:
        return "–"
    return str((dt.date.fromisoformat(end) - dt.date.fromisoformat(start)).days)


def markdown(result: dict[str, Any]) -> str:
    migration, clean = result["scenarios"]["migration"], result["scenarios"]["clean"]
    load = " / ".join(f"{x:.2f}" for x in result["machine"]["load_average_at_start"])
    since = next(iter(migration.values()))["since"]
    lines = [
        "## Fairness before the labels (`python -m bench.label_free`)\n",
        f"{result['days']} days × {result['per_day']:,} predictions from {result['start_date']}"
        f" (seed 7), production version only; equalized_odds_bound 0.1, estimate bands ± 3 "
        f"standard errors, bootstrap intervals 95 %. Load average at start {load}.\n",
        f"**migration**: the incident starts on {since}. For each signal, the first day from "
        "then that it is past the bound, and (in brackets) on how many of the days before the "
        "incident it already was. A label-free signal is known at the end of its day; a "
        "labelled one waits for the day's labels (3 to 20 days later): the day half of them "
        "and all of them had arrived are shown.\n",
        "| attribute | estimate | estimate's band | labels: point | labels: interval (day) | "
        "its labels half in / all in | labels: interval (7 days) | band ahead of the labels' "
        "interval, all labels in (days) |",
        "|---|---|---|---|---|---|---|---:|"]

    def first(row: dict, name: str) -> str:
        return f"{row[name + '_first'] or 'never'} ({row[name + '_before']})"

    for attribute, row in migration.items():
        band, labels_in = row["estimate_band_first"], row["labels_interval_first_last_label"]
        lines.append(
            f"| {attribute} | {first(row, 'estimate')} | {first(row, 'estimate_band')} | "
            f"{first(row, 'labels')} | {first(row, 'labels_interval')} | "
            f"{row['labels_interval_first_median_label'] or '–'} / {labels_in or '–'} | "
            f"{first(row, 'labels_interval_7d')} | {_days_between(band, labels_in)} |")
    lines += ["", "**clean** (no incident): days past the bound, of "
                  f"{next(iter(clean.values()))['days']}. What v1 does to a group every day "
                  "shows here as well as noise.\n",
              "| attribute | estimate | estimate's band | labels: point | labels: interval "
              "(day) | labels: interval (7 days) |",
              "|---|---:|---:|---:|---:|---:|"]
    for attribute, row in clean.items():
        lines.append(f"| {attribute} | {row['estimate_from']} | {row['estimate_band_from']} | "
                     f"{row['labels_from']} | {row['labels_interval_from']} | "
                     f"{row['labels_interval_7d_from']} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--per-day", type=int, default=1000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/vigie-bench-label-free"))
    parser.add_argument("--reuse", action="store_true",
                        help="read the warehouses an earlier run left in --workdir")
    args = parser.parse_args(argv)
    result: dict[str, Any] = {"days": args.days, "per_day": args.per_day,
                              "start_date": START.isoformat(), "machine": machine(),
                              "started_at": dt.datetime.now(dt.UTC).isoformat(
                                  timespec="seconds"), "scenarios": {}}
    for scenario in SCENARIOS:
        result["scenarios"][scenario] = run_scenario(scenario, args.workdir / scenario,
                                                     args.days, args.per_day, reuse=args.reuse)
    text = markdown(result)
    (RESULTS_DIR / "label-free.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS_DIR / "label-free.md").write_text(text)
    print(text)
    return result


if __name__ == "__main__":
    main()
