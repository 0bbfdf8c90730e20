"""`python -m bench`: Vigie against the tools a team would otherwise use, in one run.

    python -m bench --rows 100000 1000000 [--repeat 3] [--allow-10m] [--reuse]

For each size: simulate and ingest the traffic (30 days), run the whole job's stages each in its
own process (wall time, peak RSS), then the drift, validation and parity comparisons on that
warehouse (agreement checked first; median of --repeat runs after a warm-up). Writes
bench/results/rows-<N>.json and regenerates bench/README.md from every results file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from bench import compare
from bench.drift import DisagreementError
from bench.report import write_readme
from bench.timing import run_stage_process

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
# The warehouse the comparisons read: ingested, then built. The whole job, stage by stage, is
# bench.pipeline's (from JSON Lines files, the real jobs and gate).
JOB_STAGES = ("dbt_build",)
TEN_MILLION = 10_000_000
PACKAGES = ("evidently", "great-expectations", "fairlearn", "scipy", "pandas", "numpy",
            "duckdb", "dbt-core", "dbt-duckdb", "lightgbm")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def machine() -> dict[str, Any]:
    """Cores, memory and CPU model from /proc, load average, versions of the tools compared."""
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    total_kib = int(next(line for line in meminfo if line.startswith("MemTotal")).split()[1])
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo
                  if line.startswith("model name")), platform.processor())
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {"cores": os.cpu_count(), "memory_gib": round(total_kib / 2**20, 1),
            "cpu_model": model, "python": platform.python_version(),
            "load_average_at_start": os.getloadavg(), "versions": versions}


def job_stages(workdir: Path, rows: int, *, reuse: bool) -> dict[str, Any]:
    """The whole job, stage by stage, each in a fresh process (wall time, peak RSS)."""
    stages: dict[str, Any] = {}
    cached = workdir / "ingest.json"
    if reuse and cached.exists():
        stages["ingest"] = json.loads(cached.read_text()) | {"reused": True}
        log(f"  ingest: reused {cached}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir(parents=True)
        stages["ingest"] = run_stage_process("ingest", [str(workdir), "--rows", str(rows)])
        cached.write_text(json.dumps(stages["ingest"]))
    for stage in JOB_STAGES:
        stages[stage] = run_stage_process(stage, [str(workdir), "--rows", str(rows)])
        log(f"  {stage}: {stages[stage]['wall_seconds']:.1f} s, peak RSS "
            f"{stages[stage]['peak_rss_mib']:.0f} MiB")
    if stages["dbt_build"]["dbt_exit_code"] != 0:
        raise SystemExit(f"bench: dbt build failed on {rows:,} rows "
                         f"({stages['dbt_build']['dbt_summary']}); see {workdir}/target_job")
    return stages


def run_size(rows: int, *, repeat: int, root: Path, reuse: bool) -> dict[str, Any]:
    workdir = root / f"rows-{rows}"
    started = dt.datetime.now(dt.UTC)
    log(f"== {rows:,} rows over 30 days, work directory {workdir}")
    result: dict[str, Any] = {"rows": rows, "days": 30, "repeat": repeat,
                              "started_at": started.isoformat(timespec="seconds"),
                              "machine": machine()}
    result["job"] = job_stages(workdir, rows, reuse=reuse)
    for name, function in (("drift", compare.compare_drift),
                           ("validation", compare.compare_validation),
                           ("parity", compare.compare_parity)):
        log(f"  comparison: {name}")
        result[name] = function(workdir, repeat=repeat, log=log)
    result["machine"]["load_average_at_end"] = os.getloadavg()
    result["finished_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs after the warm-up")
    parser.add_argument("--allow-10m", action="store_true",
                        help="allow 10,000,000 rows or more (long, and needs the memory)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/vigie-bench"),
                        help="where the DuckDB warehouses go (kept for inspection)")
    parser.add_argument("--reuse", action="store_true",
                        help="reuse a warehouse already ingested at that size in --workdir")
    parser.add_argument("--results", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    if args.repeat < 3:
        parser.error("--repeat must be at least 3 (median of at least 3 runs)")
    if any(rows >= TEN_MILLION for rows in args.rows) and not args.allow_10m:
        parser.error("10,000,000 rows or more needs --allow-10m")
    args.results.mkdir(parents=True, exist_ok=True)
    for rows in args.rows:
        try:
            result = run_size(rows, repeat=args.repeat, root=args.workdir, reuse=args.reuse)
        except DisagreementError as exc:
            raise SystemExit(f"bench: the two sides disagree on {rows:,} rows, timings "
                             f"discarded: {exc}") from None
        path = args.results / f"rows-{rows}.json"
        path.write_text(json.dumps(result, indent=2, default=str) + "\n")
        log(f"  wrote {path}")
    write_readme(args.results, BENCH_DIR / "README.md")
    log(f"wrote {BENCH_DIR / 'README.md'}")


if __name__ == "__main__":
    main()
