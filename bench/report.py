"""bench/README.md from the results files: how to run, machine, tables, growth with size."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

COMPARISONS = (
    ("drift", "KS drift, numeric features, every day", {
        "vigie": "Vigie drift step", "scipy": "scipy ks_2samp loop (floor)",
        "evidently": "Evidently DataDriftPreset(method='ks')"}),
    ("validation", "schema checks (not null, between, in set)", {
        "vigie": "Vigie dbt build +schema_conformance",
        "great_expectations": "Great Expectations suite"}),
    ("parity", "parity by sex and age band, every day", {
        "vigie": "Vigie dbt build +group_parity +fairness_summary",
        "fairlearn": "fairlearn MetricFrame"}),
)

HOW_TO_RUN = """\
## How to run it

The reference tools pin libraries differently from Vigie's own environment (Evidently 0.7
imports a pandas internal that pandas 3 removed), so the bench has its own virtualenv;
Vigie allows pandas 2.2+, so both live in it:

```
python3 -m venv .venv-bench
.venv-bench/bin/pip install -e ".[bench,test]"      # test: to run tests/python/test_bench_smoke.py
.venv-bench/bin/python -m bench --rows 100000 1000000        # about an hour on 2 busy cores
.venv-bench/bin/python -m bench --rows 10000000 --allow-10m  # fairlearn: ~10 min a run
```

`--repeat N` (at least 3) sets the timed runs after the warm-up; `--reuse` keeps a warehouse
already ingested at that size under `--workdir` (default `/tmp/vigie-bench`).
`python -m bench.ingest_memory` measures ingestion alone;
`python -m bench.drift_profile --workdir /tmp/vigie-bench/rows-1000000` splits the drift
step into its reads and its tests, and times its KS against scipy's on the same arrays.
Raw results: `bench/results/`.

`python -m bench.pipeline --rows N [--days 60]` times the whole job as a user runs it, from
JSON Lines files to a promotion decision and then one more day, each stage in a process of its
own with its peak RSS, `vigie ingest` against DuckDB's floor in the same run
(`bench/results/pipeline-<N>.json`; `make bench` runs it at 100,000, 1,000,000 and 10,000,000).

`python -m bench.spark_build --rows N` builds the same simulated warehouse on DuckDB and on a
local Spark (`.[spark]` installed in `.venv`) and splits each build's time by dbt node
(`bench/results/spark-build-<N>.json`). `python -m bench.drift_alarms` counts the drift alarms
of each rule on 60 days of `clean` and of `migration` (`bench/results/drift-alarms.json`).

## What is compared, and what "agree" means

Every comparison runs both sides once on the same rows and stops the bench with a message if
they disagree; only then are the timed runs made (a warm-up, then `--repeat` rounds, the
order of the sides rotated between rounds). Ratio = reference median / Vigie median: above 1,
Vigie is faster. The reference tools get their input already in memory as pandas frames (the
load is not timed), while Vigie's side starts from the warehouse, so the ratios favour them.

- **Drift**: KS of every numeric schema feature (age, job, credit_amount, duration), every
  day, against the production version's reference sample. Vigie's side is the drift step
  (see `vigie_path` in the results: the Dagster asset's functions, or the Arrow read plus
  `models_ml.drift.ks_test` that it wraps). Agreement: statistic and p-value equal to
  scipy's `ks_2samp` within 1e-9; Evidently's KS drift score (the `ks_2samp` p-value) equal
  within 1e-9, and Evidently's verdict, which is *p < threshold* with no effect-size
  condition (threshold set to Vigie's drift_alpha), equal to the *p < alpha* half of
  Vigie's rule; Evidently's own DriftedColumnsCount must match that count. Vigie's full
  verdict also needs KS >= drift_effect_size, so it flags fewer features (both counts shown).
- **Validation**: the rules of `seeds/feature_schema.csv`; the bench data carries 1 % of
  predictions with one defect each (out of range, unknown category, null in a non-nullable
  feature). Agreement: per feature and rule, Vigie's failing-row count summed over days in
  `marts.schema_conformance` equals GX's `unexpected_count`.
- **Parity**: selection rate, TPR and FPR per day x attribute x group, and demographic
  parity / equalized odds differences over unsuppressed groups. Agreement within 1e-9 with
  fairlearn's MetricFrame (where a rate's denominator is 0, fairlearn returns 0 and Vigie
  null, as DESIGN.md defines it; the bench maps fairlearn's value to null there).
"""


def _load(results_dir: Path) -> list[dict[str, Any]]:
    results = [json.loads(p.read_text()) for p in results_dir.glob("rows-*.json")]
    return sorted(results, key=lambda r: r["rows"])


def _fmt(seconds: float) -> str:
    return f"{seconds:,.1f}" if seconds >= 1 else f"{seconds:.2f}"


def comparison_table(results: list[dict[str, Any]]) -> str:
    lines = ["| rows | what | Vigie side | Vigie median s | reference | reference median s "
             "| ratio (ref / Vigie) | agree |", "|---|---|---|---|---|---|---|---|"]
    for result in results:
        for key, what, names in COMPARISONS:
            if key not in result:
                continue
            block = result[key]
            vigie = block["sides"]["vigie"]["median"]
            for side, ratio in block["ratios"].items():
                lines.append(f"| {result['rows']:,} | {what} | {names['vigie']} | {_fmt(vigie)} "
                             f"| {names.get(side, side)} | "
                             f"{_fmt(block['sides'][side]['median'])} | **{ratio:.2f}** | yes |")
    return "\n".join(lines)


def agreement_table(results: list[dict[str, Any]]) -> str:
    lines = ["| rows | comparison | what was checked before timing (all must hold) |",
             "|---|---|---|"]
    for result in results:
        for key, _, _ in COMPARISONS:
            if key in result:
                checked = ", ".join(f"{k} = {v}" for k, v in result[key]["agreement"].items())
                lines.append(f"| {result['rows']:,} | {key} | {checked} |")
    return "\n".join(lines)


def _pipelines(results_dir: Path) -> list[dict[str, Any]]:
    results = [json.loads(p.read_text()) for p in results_dir.glob("pipeline-*.json")]
    return sorted(results, key=lambda r: r["rows"])


def growth_table(first: dict[str, Any], last: dict[str, Any]) -> str:
    """Each stage's wall time and peak RSS at two sizes, and the factor between them."""
    lines = [f"| stage | {first['rows']:,}: s / peak MiB | {last['rows']:,}: s / peak MiB | "
             "time x / memory x |", "|---|---|---|---|"]
    for name, stage in last["stages"].items():
        before = first["stages"].get(name)
        if before is None:
            continue
        lines.append(f"| {name} | {_fmt(before['wall_seconds'])} / "
                     f"{before['peak_rss_mib']:,.0f} | {_fmt(stage['wall_seconds'])} / "
                     f"{stage['peak_rss_mib']:,.0f} | "
                     f"{stage['wall_seconds'] / before['wall_seconds']:.1f} / "
                     f"{stage['peak_rss_mib'] / before['peak_rss_mib']:.1f} |")
    return "\n".join(lines)


def pipeline_section(pipelines: list[dict[str, Any]]) -> list[str]:
    """The whole job from files to a decision (bench.pipeline), one table per size."""
    from bench.pipeline_report import markdown

    parts = ["## The whole job, from JSON Lines files to a promotion decision\n",
             "`python -m bench.pipeline`: each stage a process of its own, timed from its start "
             "to its exit (imports included), peak RSS = ru_maxrss of the stage and the "
             "children it waited for (dbt included). simulate = the migration scenario written "
             "as JSON Lines (not counted in the job); ingest = `vigie ingest predictions` / "
             "`feedback`; build = `vigie build`; monitoring and retraining = the Dagster jobs "
             "as `vigie run` launches them (retraining: candidate, evaluation, gate, decision; "
             "mitigated_retraining: the retrain the fairness sensor asks for); floor = DuckDB's "
             "own read_json + SQL validation + anti-join insert of the same predictions file; "
             "one_more_day_* = the next day's files ingested and the monitoring job run "
             "again.\n"]
    for result in pipelines:
        parts += [f"### {result['rows']:,} predictions\n", markdown(result), ""]
    if len(pipelines) >= 2:
        parts += [f"### Growth, {pipelines[-2]['rows']:,} to {pipelines[-1]['rows']:,}\n",
                  growth_table(pipelines[-2], pipelines[-1]), ""]
    return parts


def machine_section(results: list[dict[str, Any]]) -> str:
    m = results[-1]["machine"]
    dates = ", ".join(f"{r['rows']:,} rows {r['started_at']}" for r in results)
    versions = ", ".join(f"{k} {v}" for k, v in m["versions"].items() if v)
    loads = "; ".join(f"{r['rows']:,} rows: {r['machine']['load_average_at_start'][0]:.1f} at "
                      f"start, {r['machine'].get('load_average_at_end', [0])[0]:.1f} at end"
                      for r in results)
    return (f"## The machine and the run\n\n{m['cores']} cores ({m['cpu_model']}), "
            f"{m['memory_gib']} GiB of memory (/proc/meminfo), Python {m['python']}; "
            f"{versions}.\n\nRuns (UTC): {dates}.\n\n"
            f"1-minute load average {loads} (2 cores: a load above 2 means something else "
            "ran beside the bench). Compare the ratios, measured within the same run with the "
            "sides interleaved, more than absolute seconds.\n")


def write_readme(results_dir: Path, readme: Path) -> None:
    """Regenerate README.md from every rows-*.json and pipeline-*.json, keeping
    findings.md's text verbatim."""
    results = _load(results_dir)
    findings = results_dir / "findings.md"
    parts = ["# Vigie benchmarks\n",
             "Vigie against the tools a team would otherwise use, measured side by side in one "
             "run on the same simulated traffic (German credit grown by the simulator, 30 "
             "days, DuckDB).\n", HOW_TO_RUN]
    if results:
        parts += [machine_section(results), "## Results\n", comparison_table(results), "",
                  "### Agreement\n", agreement_table(results), ""]
    parts += pipeline_section(_pipelines(results_dir))
    if findings.exists():
        parts.append(findings.read_text())
    # Benchmarks of their own (bench.api_load) keep their section in a file of their own.
    for section in ("spark-build.md", "drift-alarms.md", "label-free.md", "cbpe-nannyml.md",
                    "api-load.md"):
        if (results_dir / section).exists():
            parts.append((results_dir / section).read_text())
    readme.write_text("\n".join(parts).rstrip() + "\n")
