"""`python -m bench.pipeline`: predictions from files to a promotion decision, stage by stage.

    python -m bench.pipeline --rows N [--days 60] [--workdir /tmp/vigie-bench-pipeline]

The whole job the way a user runs it, on a DuckDB file under WORKDIR/rows-N, every stage in a
child process of its own, timed from its start to its exit (interpreter start and imports
included), with its peak RSS (ru_maxrss of the process and the children it waited for, dbt
included, measured by bench.timing.run_measured so that this process's pages do not count):

- init: `vigie init`; simulate: `bench.traffic_files` registers v1 (as `vigie run` does) and
  writes N predictions over D days of the migration scenario and their feedback as JSON Lines,
  plus one more day in files of its own;
- ingest_predictions, ingest_feedback: `vigie ingest predictions|feedback FILE`;
- build: `vigie build`; monitoring: Dagster's monitoring job as `vigie run` launches it
  (`bench.pipeline_jobs`), then the retraining sensors; retraining: the retraining job
  (candidate, evaluation, gate, decision), the decision read from the marts;
  mitigated_retraining: when the fairness sensor asks for it, as `vigie run` answers a block;
- floor: DuckDB alone (read_json, SQL validation, anti-join insert) on the same predictions
  file, into a warehouse of its own (`bench.ingest_floor`), so the ingest ratio is of one run;
- one_more_day_predictions, one_more_day_feedback, one_more_day_monitoring: the next day
  ingested and monitored (the target: their sum within 60 s on a 10 M warehouse).

Writes bench/results/pipeline-<N>.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from bench import traffic_files as files
from bench.__main__ import RESULTS_DIR, log, machine
from bench.ingest_floor import floor_sql
from bench.pipeline_report import markdown, summary
from bench.timing import run_measured
from orchestration.assets.keys import REASON_TAG, TRIGGER_TAG

REPO = Path(__file__).resolve().parent.parent
MARKER = ".vigie-bench-pipeline"
DECISIONS = ("promoted", "blocked", "skipped")  # marts.promotion_gate's accepted values
SUMMARY = re.compile(r"(\w+): received ([\d,]+) · accepted ([\d,]+) · duplicates ([\d,]+) · "
                     r"quarantined ([\d,]+)")
ORPHANS = re.compile(r"([\d,]+) feedback rows for predictions not yet known")
EXTRA_VERSIONS = ("dagster", "dagster-dbt", "orjson")
DRIFT_TESTS = re.compile(r"drift tests computed: (\d+)")


class StageError(RuntimeError):
    """A stage's process exited non-zero."""


class Run:
    """One pipeline run: its folder, the environment every stage gets, the stages' results."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.logs = folder / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.env = dict(os.environ, VIGIE_TARGET="duckdb", VIGIE_PROGRESS="summary",
                        VIGIE_DUCKDB_PATH=str(folder / "warehouse" / "vigie.duckdb"),
                        VIGIE_MODEL_STORE=str(folder / "models"),
                        VIGIE_DBT_TARGET_PATH=str(folder / "dbt_dagster"),
                        DBT_TARGET_PATH=str(folder / "dbt_cli"),
                        DBT_LOG_PATH=str(folder / "dbt_cli" / "logs"),
                        DAGSTER_HOME=str(folder / "dagster_home"))
        self.stages: dict[str, dict[str, Any]] = {}
        self.resumed = False

    def child(self, name: str, command: list[str], env: dict[str, str] | None = None
              ) -> dict[str, Any]:
        """Run one stage's process; its wall time, peak RSS and output."""
        out, err = self.logs / f"{name}.out", self.logs / f"{name}.err"
        with out.open("wb") as stdout, err.open("wb") as stderr:
            measured = run_measured(command, cwd=REPO, env=env or self.env, stdout=stdout,
                                    stderr=stderr)
        if measured["exit_code"] != 0:
            raise StageError(f"stage {name} exited with {measured['exit_code']} after "
                             f"{measured['wall_seconds']:.1f} s ({' '.join(command[:4])[:120]} "
                             f"…); its stderr ({err}) ends with:\n"
                             + err.read_text(errors="replace")[-3000:])
        return {"wall_seconds": round(measured["wall_seconds"], 3),
                "peak_rss_mib": round(measured["peak_rss_mib"], 1),
                "stdout": out.read_text(errors="replace"),
                "stderr": err.read_text(errors="replace")}

    def record(self, name: str, outcome: dict[str, Any]) -> dict[str, Any]:
        outcome.pop("stdout", None)
        outcome.pop("stderr", None)
        self.stages[name] = outcome
        log(f"  {name}: {outcome['wall_seconds']:.1f} s, peak RSS "
            f"{outcome['peak_rss_mib']:,.0f} MiB, {outcome.get('rows', 0):,} rows")
        return outcome

    def vigie(self, name: str, args: list[str], env: dict[str, str] | None = None
              ) -> dict[str, Any]:
        executable = Path(sys.executable).with_name("vigie")
        command = [str(executable)] if executable.exists() else [
            sys.executable, "-m", "orchestration.cli"]
        return self.child(name, [*command, *args], env)

    def python(self, name: str, module: str, args: list[str]) -> dict[str, Any]:
        """A `python -m module` stage that prints its facts as its last line of JSON."""
        outcome = self.child(name, [sys.executable, "-m", module, *args])
        facts = json.loads(outcome["stdout"].strip().splitlines()[-1])
        facts.pop("peak_rss_mib", None)  # the launcher's count includes its children
        return outcome | facts


def ingest_counts(text: str) -> dict[str, int]:
    """The counts of `vigie ingest`'s summary line."""
    match = SUMMARY.search(text)
    if match is None:
        raise StageError(f"no ingestion summary in: {text[-500:]!r}")
    received, accepted, duplicates, quarantined = (int(g.replace(",", ""))
                                                   for g in match.groups()[1:])
    orphans = ORPHANS.search(text)
    return {"rows": received, "received": received, "accepted": accepted,
            "duplicates": duplicates, "quarantined": quarantined,
            "orphans": int(orphans.group(1).replace(",", "")) if orphans else 0}


def ingest(run: Run, name: str, source: str, path: Path) -> dict[str, Any]:
    outcome = run.vigie(name, ["ingest", source, str(path)])
    return run.record(name, outcome | ingest_counts(outcome["stdout"]))


def job(run: Run, name: str, job_name: str, rows: int, run_config: dict | None = None,
        tags: dict | None = None) -> dict[str, Any]:
    args = [job_name, "--log-file", str(run.logs / "dagster.log"),
            "--run-config", json.dumps(run_config or {}), "--tags", json.dumps(tags or {})]
    return run.record(name, run.python(name, "bench.pipeline_jobs", args) | {"rows": rows})


def retraining_tags(requests: list[dict[str, Any]]) -> dict[str, str]:
    """One retraining for every trigger that fired, tagged as `vigie run` tags it; the bench
    retrains even when none fired (then tagged as the bench's)."""
    if not requests:
        return {TRIGGER_TAG: "bench", REASON_TAG: "bench.pipeline: no trigger fired"}
    return {TRIGGER_TAG: ",".join(r["trigger"] for r in requests),
            REASON_TAG: requests[0]["reason"]}


def floor(run: Run, path: Path, rows: int) -> dict[str, Any]:
    """DuckDB's read_json + SQL validation + anti-join insert, into a warehouse of its own."""
    database = run.folder / "floor" / "floor.duckdb"
    env = dict(run.env, VIGIE_DUCKDB_PATH=str(database))
    init_seconds = run.vigie("floor_init", ["init"], env)["wall_seconds"]
    script = (f"import duckdb, json; con = duckdb.connect({str(database)!r}); "
              f"con.execute({floor_sql(path)!r}); "
              "print(json.dumps({'rows': con.sql('select count(*) from raw.predictions')"
              ".fetchall()[0][0]})); con.close()")
    outcome = run.child("floor", [sys.executable, "-c", script], env)
    facts = json.loads(outcome["stdout"].strip().splitlines()[-1])
    shutil.rmtree(database.parent)  # as large as the warehouse; its count is kept
    return run.record("floor", outcome | facts | {"rows_in_file": rows,
                                                   "init_seconds_not_counted": init_seconds})


def simulate(run: Run, rows: int, days: int, seed: int, start: dt.date) -> dict[str, Any]:
    args = [str(run.folder), "--rows", str(rows), "--days", str(days), "--seed", str(seed),
            "--scenario", "migration", "--start-date", start.isoformat()]
    return run.record("simulate", run.python("simulate", "bench.traffic_files", args))


def run_pipeline(run: Run, rows: int, days: int, seed: int) -> None:
    """Every stage in turn; a stage already in run.stages (a resumed run's) is not run again."""
    def todo(name: str) -> bool:
        return name not in run.stages

    if todo("init"):
        run.record("init", run.vigie("init", ["init"]) | {"rows": 0})
    start = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=days)
    counts = (simulate(run, rows, days, seed, start) if todo("simulate")
              else run.stages["simulate"])["counts"]
    if todo("ingest_predictions"):
        ingest(run, "ingest_predictions", "predictions", run.folder / files.PREDICTIONS_FILE)
    if todo("ingest_feedback"):
        ingest(run, "ingest_feedback", "feedback", run.folder / files.FEEDBACK_FILE)
    # A resumed build starts over from the raw tables (what a failed build left is dropped).
    build = run.vigie("build", ["build", "--full-refresh"] if run.resumed else ["build"])
    drift_tests = DRIFT_TESTS.search(build["stderr"])
    run.record("build", build | {"rows": rows, "full_refresh": run.resumed,
                                 "drift_tests": int(drift_tests.group(1)) if drift_tests else None})
    monitoring = job(run, "monitoring", "monitoring", rows)
    retraining = job(run, "retraining", "retraining", rows,
                     tags=retraining_tags(monitoring["requests"]))
    for request in retraining["requests"]:  # the fairness sensor's answer to a block
        job(run, "mitigated_retraining", "retraining", rows, request["run_config"],
            request["tags"])
    floor(run, run.folder / files.PREDICTIONS_FILE, counts["predictions"])
    ingest(run, "one_more_day_predictions", "predictions",
           run.folder / files.DAY_LAST_PREDICTIONS_FILE)
    ingest(run, "one_more_day_feedback", "feedback", run.folder / files.DAY_LAST_FEEDBACK_FILE)
    job(run, "one_more_day_monitoring", "monitoring", counts["day_last_predictions"])


RESUMABLE = ("init", "simulate", "ingest_predictions", "ingest_feedback")


def resumed_stages(path: Path) -> dict[str, dict[str, Any]]:
    """The files-and-ingest stages of an earlier run that stopped after them (its results
    file); the rest runs again."""
    earlier = json.loads(path.read_text())
    missing = [name for name in RESUMABLE if name not in earlier["stages"]]
    if missing:
        raise SystemExit(f"bench.pipeline: cannot resume, {path} lacks {', '.join(missing)}")
    return {name: earlier["stages"][name] | {"resumed_from": earlier["started_at"]}
            for name in RESUMABLE}


def git_commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True,
                              check=False).stdout.strip()

    return git("rev-parse", "--short", "HEAD") + ("+dirty" if git("status", "--porcelain")
                                                  else "")


def prepare_folder(folder: Path) -> Path:
    """An empty run folder; an earlier run's folder (it holds the marker) is removed first."""
    if folder.exists():
        if not (folder / MARKER).exists():
            raise SystemExit(f"bench.pipeline: {folder} exists and is not a pipeline run's "
                             "folder; choose another --workdir")
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / MARKER).write_text("made by python -m bench.pipeline; removed by its next run\n")
    return folder


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench.pipeline",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, required=True, help="predictions in the warehouse")
    parser.add_argument("--days", type=int, default=60, help="days they span (one more is "
                                                            "held back for one_more_day)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/vigie-bench-pipeline"))
    parser.add_argument("--results", type=Path, default=RESULTS_DIR)
    parser.add_argument("--resume", action="store_true",
                        help="keep the files and warehouse of an earlier run that stopped after "
                             "its ingestion, and run the rest (its build as --full-refresh)")
    args = parser.parse_args(argv)
    if args.rows < args.days:
        parser.error("--rows must be at least --days (one prediction a day)")
    folder = args.workdir / f"rows-{args.rows}"
    if args.resume:
        run = Run(folder)
        run.stages.update(resumed_stages(args.results / f"pipeline-{args.rows}.json"))
        run.resumed = True
    else:
        run = Run(prepare_folder(folder))
    info = machine()
    info["versions"].update(machine_versions())
    result: dict[str, Any] = {
        "rows": args.rows, "days": args.days, "seed": args.seed, "scenario": "migration",
        "workdir": str(run.folder), "commit": git_commit(),
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "machine": info,
        "stages": run.stages}
    log(f"== {args.rows:,} predictions over {args.days} days in {run.folder}")
    failure = None
    try:
        run_pipeline(run, args.rows, args.days, args.seed)
        undecided = [name for name in ("retraining", "mitigated_retraining")
                     if name in run.stages and run.stages[name]["decision"] not in DECISIONS]
        if undecided:
            failure = (f"{', '.join(undecided)} recorded no decision (failed steps: "
                       + "; ".join(", ".join(run.stages[n]["failed_steps"]) for n in undecided)
                       + f"; Dagster's log: {run.logs / 'dagster.log'})")
    except StageError as exc:
        failure = str(exc)
    if failure:
        result["failed"] = failure
    result["machine"]["load_average_at_end"] = os.getloadavg()
    result["finished_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    result["summary"] = summary(run.stages)
    args.results.mkdir(parents=True, exist_ok=True)
    path = args.results / f"pipeline-{args.rows}.json"
    path.write_text(json.dumps(result, indent=2, default=str) + "\n")
    log(f"wrote {path}")
    print(markdown(result))
    if failure:
        raise SystemExit(f"bench.pipeline: {failure}")
    return result


def machine_versions() -> dict[str, str | None]:
    """Versions of what the pipeline runs beyond bench.__main__.PACKAGES."""
    versions = {}
    for name in EXTRA_VERSIONS:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


if __name__ == "__main__":
    main()
