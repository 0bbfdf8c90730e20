"""`vigie ingest predictions` against DuckDB's own floor on the same JSON Lines file.

    python -m bench.ingest_floor --rows 300000 [--file predictions.jsonl] [--baseline DIR]

The floor is what DuckDB alone does with the file: read_json with the contract's columns, a
SQL validation (the contract's rules that read_json can express), a record hash and an
anti-join insert into raw.predictions of an empty warehouse made by `vigie init`. Both run in
a child process of their own, one after the other in the same run, each timed from start to
exit (interpreter start included) with its peak RSS; the load average is printed with them.
--baseline DIR also times `vigie ingest` of another checkout of Vigie (say, the commit before
a change, from `git archive`), in the same run, with the same interpreter.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.ingest_memory import write_predictions
from bench.timing import run_measured
from orchestration.seed_config import contract_rules
from orchestration.warehouse import default_project_dir

COLUMNS = ("{'prediction_id': 'VARCHAR', 'model_name': 'VARCHAR', 'model_version': 'VARCHAR', "
           "'scored_at': 'TIMESTAMPTZ', 'entity_id': 'VARCHAR', 'features': 'JSON', "
           "'score': 'DOUBLE', 'decision': 'VARCHAR', 'latency_ms': 'DOUBLE'}")

FLOOR_SQL = """
set TimeZone = 'UTC';
insert into raw.predictions
select prediction_id, model_name, model_version, scored_at::timestamp, entity_id, features,
    score, decision, latency_ms,
    sha256(concat_ws(chr(31), prediction_id, model_name, model_version, scored_at, entity_id,
                     features, score, decision, latency_ms)),
    'floor', now()::timestamp
from read_json('{path}', format = 'newline_delimited', columns = {columns}) r
where prediction_id <> '' and model_version <> '' and scored_at is not null
  and model_name in {models} and decision in {decisions}
  and isfinite(score) and score between 0 and 1 and (latency_ms is null or latency_ms >= 0)
  and json_type(features) = 'OBJECT'
  and not exists (select 1 from raw.predictions p where p.prediction_id = r.prediction_id);
"""


def sql_list(values) -> str:
    return "(" + ", ".join("'" + str(v).replace("'", "''") + "'" for v in sorted(values)) + ")"


def floor_sql(path: Path) -> str:
    rules = contract_rules(default_project_dir())
    decisions = {d for ds in rules.decisions_by_model.values() for d in ds}
    return FLOOR_SQL.format(path=str(path).replace("'", "''"), columns=COLUMNS,
                            models=sql_list(rules.known_models), decisions=sql_list(decisions))


def run_child(command: list[str], env: dict[str, str]) -> dict:
    """Wall seconds and peak RSS (MiB) of one child process (bench.timing.run_measured: a child
    forked from here would count this process's pages, the simulated file's among them)."""
    measured = run_measured(command, env=env)
    if measured["exit_code"] != 0:
        raise SystemExit(f"{command[:4]} failed with status {measured['exit_code']}")
    return {"seconds": measured["wall_seconds"], "peak_rss_mib": measured["peak_rss_mib"]}


def init_warehouse_at(path: Path, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "orchestration.cli", "init", "--target", "duckdb"],
                   check=True, env=env, stdout=subprocess.DEVNULL)
    assert path.exists(), path


def measure(path: Path, workdir: Path, baseline: Path | None) -> dict[str, dict]:
    results = {}
    for name in ("floor", "vigie") + (("baseline",) if baseline else ()):
        database = workdir / f"{name}.duckdb"
        env = dict(os.environ, VIGIE_DUCKDB_PATH=str(database))
        init_warehouse_at(database, env)
        if name == "baseline":
            env = dict(env, PYTHONPATH=str(baseline), VIGIE_PROJECT_DIR=str(baseline))
            command = ["sh", "-c", f'cd "{baseline}" && exec "{sys.executable}" -m '
                       f'orchestration.cli ingest predictions "{path}" --target duckdb']
        elif name == "floor":
            script = (f"import duckdb; con = duckdb.connect({str(database)!r}); "
                      f"con.execute({floor_sql(path)!r}); con.close()")
            command = [sys.executable, "-c", script]
        else:
            command = [sys.executable, "-m", "orchestration.cli", "ingest", "predictions",
                       str(path), "--target", "duckdb"]
        results[name] = run_child(command, env)
        results[name]["load"] = os.getloadavg()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--file", type=Path, help="an existing file (else one is simulated)")
    parser.add_argument("--baseline", type=Path, help="another checkout of Vigie to time too")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        path = args.file or workdir / "predictions.jsonl"
        if args.file is None:
            write_predictions(path, args.rows)
        rows = sum(1 for _ in path.open("rb"))
        size_mib = path.stat().st_size / 2**20
        load_before = os.getloadavg()
        results = measure(path.resolve(), workdir, args.baseline)
    print(f"{rows:,} predictions ({size_mib:,.0f} MiB JSON Lines), load average before "
          f"{load_before[0]:.2f} / {load_before[1]:.2f} / {load_before[2]:.2f}")
    for name, result in results.items():
        print(f"  {name:6s} {result['seconds']:6.1f} s  {rows / result['seconds']:9,.0f} rows/s  "
              f"peak RSS {result['peak_rss_mib']:6,.0f} MiB  load after {result['load'][0]:.2f}")
    for name in results:
        if name != "floor":
            ratio = results[name]["seconds"] / results["floor"]["seconds"]
            print(f"  {name} / floor = {ratio:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()
