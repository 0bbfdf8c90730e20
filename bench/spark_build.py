"""`python -m bench.spark_build`: the same warehouse built on DuckDB and on a local Spark.

    python -m bench.spark_build --rows N [--days 30] [--workdir /tmp/vigie-bench-spark]

For each engine, in a fresh folder: `vigie simulate` (N predictions over D days of the
migration scenario and their feedback, through the same validation and bulk load), then
`vigie build` (dbt build, the KS / chi-square step, the drift marts). Each is one child process,
timed from its start to its exit with the peak summed RSS of its process tree
(bench.timing.run_measured; on Spark the JVM is in that tree). dbt writes its log
as JSON; the time of every seed, model and test is read from it, so the table says how much of
Spark's build is SQL work and how much is start-up and per-statement overhead, and which models
take longest. Writes bench/results/spark-build-<N>.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.__main__ import RESULTS_DIR, log, machine
from bench.timing import run_measured

REPO = Path(__file__).resolve().parent.parent
ENGINES = ("duckdb", "spark")
NODE_RESULTS = {"LogSeedResult": "seeds", "LogModelResult": "models",
                "LogTestResult": "tests", "LogSnapshotResult": "snapshots"}
TOP = 8


def engine_env(engine: str, folder: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"VIGIE_TARGET": engine, "VIGIE_DUCKDB_PATH": str(folder / "vigie.duckdb"),
                "VIGIE_SPARK_DIR": str(folder / "spark"),
                "VIGIE_MODEL_STORE": str(folder / "models"),
                "DBT_TARGET_PATH": str(folder / "target"), "DBT_LOG_PATH": str(folder / "logs"),
                # info, not debug: dbt rotates its log at 10 MB, and a debug log of a large build
                # would rotate the node results away
                "DBT_LOG_FORMAT_FILE": "json", "DBT_LOG_LEVEL_FILE": "info"})
    return env


def node_times(log_dir: Path) -> dict[str, Any]:
    """Seconds per resource type and the slowest models, from dbt's JSON log (every dbt
    invocation of the build appends to it; dbt.log.1 and on are its rotated parts)."""
    by_type: dict[str, float] = defaultdict(float)
    models: dict[str, float] = defaultdict(float)
    intervals: list[tuple[dt.datetime, dt.datetime]] = []
    lines = [line for part in sorted(log_dir.glob("dbt.log*"))
             for line in part.read_text().splitlines()]
    for line in lines:
        try:
            event = json.loads(line)
        except ValueError:
            continue
        kind = NODE_RESULTS.get(event.get("info", {}).get("name"))
        if not kind:
            continue
        seconds = float(event["data"].get("execution_time") or 0.0)
        by_type[kind] += seconds
        node = event["data"]["node_info"]
        if kind == "models":
            models[node["node_name"]] += seconds
        if node.get("node_started_at") and node.get("node_finished_at"):
            intervals.append((dt.datetime.fromisoformat(node["node_started_at"]),
                              dt.datetime.fromisoformat(node["node_finished_at"])))
    slowest_first = sorted(models.items(), key=lambda item: -item[1])
    return {"seconds_by_type": dict(by_type), "model_seconds": dict(slowest_first),
            "seconds_in_nodes": covered_seconds(intervals)}


def covered_seconds(intervals: list[tuple[dt.datetime, dt.datetime]]) -> float:
    """Wall seconds during which at least one node ran: with dbt's threads > 1 (DuckDB's
    profile has 2) node times overlap, and their sum exceeds the time they took."""
    total, end = 0.0, None
    for start, finish in sorted(intervals):
        if end is None or start > end:
            total += (finish - start).total_seconds()
            end = finish
        elif finish > end:
            total += (finish - end).total_seconds()
            end = finish
    return total


def run_engine(engine: str, folder: Path, rows: int, days: int, start: dt.date) -> dict:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    env = engine_env(engine, folder)
    vigie = str(Path(sys.executable).with_name("vigie"))
    stages = {}
    for name, args in (
        ("simulate", ["simulate", "--days", str(days), "--per-day", str(rows // days),
                      "--scenario", "migration", "--seed", "7",
                      "--start-date", start.isoformat()]),
        ("build", ["build"]),
    ):
        log(f"   {engine}: {name}")
        with (folder / f"{name}.out").open("w") as out:
            measured = run_measured([vigie, *args, "--target", engine], cwd=REPO, env=env,
                                    stdout=out, stderr=out)
        if measured["exit_code"] != 0:
            raise RuntimeError(f"{engine} {name} failed: see {folder / f'{name}.out'}")
        stages[name] = measured
    nodes = node_times(folder / "logs")
    build = stages["build"]["wall_seconds"]
    nodes["overhead_seconds"] = build - nodes["seconds_in_nodes"]
    return {"stages": stages, "dbt_nodes": nodes}


def markdown(result: dict[str, Any]) -> str:
    duck, spark = (result["engines"][e] for e in ENGINES)
    lines = ["| stage | DuckDB s | Spark s | Spark / DuckDB | DuckDB peak MiB | "
             "Spark peak MiB (Python + JVM) |", "|---|---:|---:|---:|---:|---:|"]
    for stage in ("simulate", "build"):
        d, s = duck["stages"][stage], spark["stages"][stage]
        lines.append(f"| {stage} | {d['wall_seconds']:.1f} | {s['wall_seconds']:.1f} | "
                     f"{s['wall_seconds'] / d['wall_seconds']:.1f}× | "
                     f"{d['peak_tree_rss_mib']:,.0f} | {s['peak_tree_rss_mib']:,.0f} |")
    lines += ["", "| where the build's time goes (node-seconds: DuckDB's 2 dbt threads overlap) "
              "| DuckDB s | Spark s |", "|---|---:|---:|"]
    for kind in ("seeds", "models", "tests", "snapshots"):
        lines.append(f"| {kind} | {duck['dbt_nodes']['seconds_by_type'].get(kind, 0):.1f} | "
                     f"{spark['dbt_nodes']['seconds_by_type'].get(kind, 0):.1f} |")
    lines.append(f"| wall time with a node running | {duck['dbt_nodes']['seconds_in_nodes']:.1f} | "
                 f"{spark['dbt_nodes']['seconds_in_nodes']:.1f} |")
    lines.append(f"| rest of the build's wall time: start-up, parsing, the KS step, catalog | "
                 f"{duck['dbt_nodes']['overhead_seconds']:.1f} | "
                 f"{spark['dbt_nodes']['overhead_seconds']:.1f} |")
    lines += ["", "| slowest models on Spark | Spark s | DuckDB s |", "|---|---:|---:|"]
    for model, seconds in list(spark["dbt_nodes"]["model_seconds"].items())[:TOP]:
        lines.append(f"| {model} | {seconds:.1f} | "
                     f"{duck['dbt_nodes']['model_seconds'].get(model, float('nan')):.1f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/vigie-bench-spark"))
    args = parser.parse_args(argv)
    start = dt.date(2026, 1, 1)
    result: dict[str, Any] = {"rows": args.rows, "days": args.days, "scenario": "migration",
                              "machine": machine(), "started_at": dt.datetime.now(dt.UTC)
                              .isoformat(timespec="seconds"), "engines": {}}
    log(f"== {args.rows:,} predictions over {args.days} days, DuckDB then Spark")
    for engine in ENGINES:
        result["engines"][engine] = run_engine(engine, args.workdir / engine, args.rows,
                                               args.days, start)
    result["load_average_at_end"] = os.getloadavg()
    path = RESULTS_DIR / f"spark-build-{args.rows}.json"
    path.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(markdown(result))
    return result


if __name__ == "__main__":
    main()
