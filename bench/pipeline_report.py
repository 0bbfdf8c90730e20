"""The pipeline bench's totals against the issue's targets, and its Markdown table."""

from __future__ import annotations

from typing import Any

# Issue 11: ten million predictions from files to a promotion decision in fifteen minutes, and
# the next day's ingestion and monitoring within a minute.
TARGET_FILES_TO_DECISION_SECONDS = 15 * 60
TARGET_ONE_MORE_DAY_SECONDS = 60
# From the files to the first decision. Both `vigie build` and the monitoring job count, since
# the bench runs both; a user runs one of them, so this is an upper bound.
TO_DECISION = ("ingest_predictions", "ingest_feedback", "build", "monitoring", "retraining")
ONE_MORE_DAY = ("one_more_day_predictions", "one_more_day_feedback", "one_more_day_monitoring")
# Stages that read every row (rows/s means something); dbt and Dagster's have fixed costs.
ROWS_READ = ("simulate", "ingest_predictions", "ingest_feedback", "floor",
             "one_more_day_predictions", "one_more_day_feedback")


def summary(stages: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Totals against the issue's targets, and vigie ingest against DuckDB's floor."""
    def total(names) -> float | None:
        return (round(sum(stages[n]["wall_seconds"] for n in names), 3)
                if all(n in stages for n in names) else None)

    to_decision, one_more_day = total(TO_DECISION), total(ONE_MORE_DAY)
    decision = stages.get("retraining", {}).get("decision")
    result = {"files_to_decision_seconds": to_decision, "files_to_decision_stages": TO_DECISION,
              "decision": decision,
              "files_to_decision_target_seconds": TARGET_FILES_TO_DECISION_SECONDS,
              "files_to_decision_met": (None if to_decision is None
                                        else to_decision <= TARGET_FILES_TO_DECISION_SECONDS),
              "one_more_day_seconds": one_more_day,
              "one_more_day_met": (None if one_more_day is None
                                   else one_more_day <= TARGET_ONE_MORE_DAY_SECONDS),
              "one_more_day_peak_rss_mib": max((stages[n]["peak_rss_mib"] for n in ONE_MORE_DAY
                                                if n in stages), default=None),
              "one_more_day_target_seconds": TARGET_ONE_MORE_DAY_SECONDS}
    if "mitigated_retraining" in stages and to_decision is not None:
        result["files_to_mitigated_decision_seconds"] = round(
            to_decision + stages["mitigated_retraining"]["wall_seconds"], 3)
        result["mitigated_decision"] = stages["mitigated_retraining"].get("decision")
    if "floor" in stages and "ingest_predictions" in stages:
        result["ingest_over_floor"] = round(stages["ingest_predictions"]["wall_seconds"]
                                            / stages["floor"]["wall_seconds"], 2)
    return result


def note(name: str, stage: dict[str, Any], ratio: float | None = None) -> str:
    """What a stage did, in a few words, for the table."""
    if "accepted" in stage:
        return (f"accepted {stage['accepted']:,} · duplicates {stage['duplicates']:,} · "
                f"quarantined {stage['quarantined']:,}")
    if name == "simulate":
        return (f"{stage['counts']['feedback']:,} feedback; +1 day: "
                f"{stage['counts']['day_last_predictions']:,} / "
                f"{stage['counts']['day_last_feedback']:,}")
    if name == "floor":
        return f"stored {stage['rows']:,}; `vigie ingest predictions` / floor = {ratio}×"
    if name == "build":
        return f"drift tests computed: {stage.get('drift_tests', '?')}"
    if "job_seconds" not in stage:
        return ""
    text = (f"job {stage['job_seconds']:,.1f} s, Definitions {stage['definitions_seconds']:,.1f}"
            " s; ")
    if "decision" in stage:
        if stage["decision"] is None:
            return text + f"**no decision** (failed steps: {', '.join(stage['failed_steps'])})"
        failed = ", ".join(stage.get("failed_checks") or []) or "none"
        return text + (f"{stage['candidate_version']} vs {stage['production_version']}: "
                       f"**{stage['decision']}** (failed checks: {failed})")
    return text + "triggers: " + (", ".join(r["trigger"] for r in stage["requests"]) or "none")


def markdown(result: dict[str, Any]) -> str:
    lines = [f"{result['rows']:,} predictions over {result['days']} days "
             f"({result['started_at']}, commit {result['commit']}, load "
             f"{' / '.join(f'{x:.2f}' for x in result['machine']['load_average_at_start'])})",
             "", "| stage | wall s | peak RSS MiB | rows | rows/s | what it did |",
             "| --- | ---: | ---: | ---: | ---: | --- |"]
    totals = result["summary"]
    for name, stage in result["stages"].items():
        rows = stage.get("rows") or 0
        speed = (f"{rows / stage['wall_seconds']:,.0f}" if rows and name in ROWS_READ
                 else "")
        lines.append(f"| {name} | {stage['wall_seconds']:,.1f} | {stage['peak_rss_mib']:,.0f} | "
                     f"{rows:,} | {speed} | "
                     f"{note(name, stage, totals.get('ingest_over_floor'))} |")
    lines += ["", f"Files to decision ({' + '.join(TO_DECISION)}): "
              f"{totals['files_to_decision_seconds']} s (target "
              f"{TARGET_FILES_TO_DECISION_SECONDS} s), decision {totals['decision']}. One more "
              f"day ({' + '.join(ONE_MORE_DAY)}): {totals['one_more_day_seconds']} s (target "
              f"{TARGET_ONE_MORE_DAY_SECONDS} s). `vigie ingest predictions` / floor: "
              f"{totals.get('ingest_over_floor')}×."]
    return "\n".join(lines)
