"""Peak memory and throughput of `vigie ingest predictions` on a large JSON Lines file.

    python -m bench.ingest_memory --rows 1000000 [--target duckdb|postgres]

Writes the file with the simulator (one day at a time), then ingests it in a child process and
reports that child's peak RSS (ru_maxrss), so the file generation does not count.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

from models_ml.credit_model import fit_credit_model, german_as_reference, load_german_credit
from models_ml.simulate import iter_simulated_days
from orchestration.warehouse import default_project_dir


def write_predictions(path: Path, rows: int, days: int = 30, seed: int = 11) -> None:
    german = load_german_credit(default_project_dir() / "seeds" / "german_credit.csv")
    features, default = german_as_reference(german)
    model = fit_credit_model(features, default, seed=seed)
    per_day = -(-rows // days)
    written = 0
    with path.open("wb") as handle:
        for traffic in iter_simulated_days(german, days=days, per_day=per_day, scenario="clean",
                                           seed=seed, start_date=dt.date(2026, 1, 1),
                                           model=model):
            frame = traffic.predictions.head(rows - written)
            for row in frame.to_dict("records"):
                row["scored_at"] = row["scored_at"].isoformat()
                handle.write(orjson.dumps(row) + b"\n")
            written += len(frame)
            if written >= rows:
                break


def measure(path: Path, target: str, workdir: Path) -> dict:
    env = dict(os.environ, VIGIE_DUCKDB_PATH=str(workdir / "bench.duckdb"))
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "orchestration.cli", "ingest", "predictions", str(path),
                    "--target", target], check=True, env=env)
    seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"seconds": seconds, "peak_rss_mib": peak_kib / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--target", default="duckdb", choices=["duckdb", "postgres"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        path = workdir / "predictions.jsonl"
        write_predictions(path, args.rows)
        size_mib = path.stat().st_size / 2**20
        result = measure(path, args.target, workdir)
    print(f"ingest {args.rows:,} predictions ({size_mib:,.0f} MiB JSONL) on {args.target}: "
          f"{result['seconds']:.1f} s, {args.rows / result['seconds']:,.0f} rows/s, "
          f"peak RSS {result['peak_rss_mib']:,.0f} MiB")


if __name__ == "__main__":
    main()
