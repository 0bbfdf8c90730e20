"""docs/report.png: the report of a small `vigie run` (migration story) in headless Chromium.

    .venv/bin/python tests/python/browser/take_report_screenshot.py [--output docs/report.png]

Runs `vigie run` in a scratch folder (its own warehouse, Dagster home, dbt target and model
store: nothing of the repository's warehouse/ is touched), then photographs the top of the
report it wrote. Exits non-zero when the page logs an error."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from pages import launched, screenshot

VIGIE = str(Path(sys.executable).with_name("vigie"))


def scratch_env(work: Path) -> dict[str, str]:
    return {**os.environ, "VIGIE_TARGET": "duckdb",
            "VIGIE_DUCKDB_PATH": str(work / "warehouse" / "vigie.duckdb"),
            "DAGSTER_HOME": str(work / "dagster_home"),
            "VIGIE_DBT_TARGET_PATH": str(work / "dbt_target"),
            "VIGIE_MODEL_STORE": str(work / "models")}


def run_story(work: Path, *, days: int, per_day: int, scenario: str) -> Path:
    subprocess.run([VIGIE, "run", "--days", str(days), "--per-day", str(per_day),
                    "--scenario", scenario, "--start-date", "2024-01-01"],
                   env=scratch_env(work), check=True)
    return work / "warehouse" / "report.html"


def write_again(work: Path) -> Path:
    report = work / "warehouse" / "report.html"
    subprocess.run([VIGIE, "report", "--output", str(report)], env=scratch_env(work),
                   check=True)
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=Path("docs/report.png"))
    parser.add_argument("--height", type=int, default=1900, help="pixels of the page shown")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--per-day", type=int, default=300)
    parser.add_argument("--scenario", default="migration")
    parser.add_argument("--report-only", action="store_true",
                        help="no new run: `vigie report` again on --workdir's warehouse")
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="vigie-report-"))
    if args.report_only:
        report = write_again(work)
    else:
        report = run_story(work, days=args.days, per_day=args.per_day, scenario=args.scenario)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    with launched() as browser:
        errors = screenshot(browser, report.resolve().as_uri(), args.output,
                            height=args.height)
    for error in errors:
        print(error, file=sys.stderr)
    print(f"{args.output} from {report}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
