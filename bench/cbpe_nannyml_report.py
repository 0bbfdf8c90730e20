"""The Markdown and JSON of `python -m bench.cbpe_nannyml` (bench/cbpe_nannyml.py runs the
comparison): rendering only, plain pandas and numpy, nothing of NannyML's or Vigie's."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

METRICS: tuple[str, ...] = ("roc_auc", "precision", "recall", "f1", "accuracy")


def number(value: Any, digits: int = 4) -> str:
    """A float for a Markdown cell; '–' for a missing value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float):
        small = value != 0 and abs(value) < 10 ** -digits
        return f"{value:.1e}" if small else f"{value:.{digits}f}"
    return str(value)


def markdown(report: dict[str, Any], days: pd.DataFrame) -> str:
    """The report as Markdown: settings, summary, per-day table."""
    calibration = report["calibration"]
    if calibration["nannyml_needs_calibration"]:
        nannyml_choice = "calibrate, so forcing it changed nothing."
    else:
        nannyml_choice = (
            "do not calibrate; with that choice the max absolute differences would be "
            + ", ".join(f"{metric} {number(value)}" for metric, value
                        in calibration["unforced_max_abs_difference"].items()) + ".")
    lines = [
        f"## Vigie's performance estimates against NannyML's CBPE "
        f"({report['model']} {report['version']})",
        "",
        f"`{report['command']}`",
        "",
        f"NannyML {report['packages']['nannyml']}, chunk_period 'D'. Reference: "
        f"{report['n_reference']} validation rows, y_pred = score >= "
        f"{report['decision_threshold']:.6g} (marts.model_versions.decision_threshold; the rule "
        f"reproduces {report['threshold_rule_agreement']:.2%} of the analysis decisions). "
        f"Analysis: {report['n_analysis']} predictions.",
        "",
        "Calibration: isotonic on the whole reference, always applied (Vigie's setting). "
        f"NannyML's own needs_calibration test said: {nannyml_choice} Largest difference "
        f"between NannyML's calibrated probability and Vigie's (raw.score_calibration) on the "
        f"analysis scores: {number(calibration['max_abs_difference_from_vigie_map'])}.",
        "",
        "### Summary (absolute difference, Vigie − NannyML)",
        "",
        "| metric | days | max | mean | Vigie band width (mean) | NannyML band width (mean) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for metric, row in report["summary"].items():
        lines.append(f"| {metric} | {row['days_compared']} | {number(row['max_abs_difference'])} "
                     f"| {number(row['mean_abs_difference'])} "
                     f"| {number(row['vigie_mean_band_width'])} "
                     f"| {number(row['nannyml_mean_band_width'])} |")
    lines += ["", "### Per day (Vigie / NannyML / |difference|)", "",
              "| window_date | n | " + " | ".join(METRICS) + " |",
              "| --- | ---: | " + " | ".join("---" for _ in METRICS) + " |"]
    for row in days.itertuples(index=False):
        cells = [" / ".join(number(getattr(row, f"{side}_{metric}"), 3)
                            for side in ("vigie", "nannyml"))
                 + f" / {number(getattr(row, f'abs_difference_{metric}'))}"
                 for metric in METRICS]
        lines.append(f"| {row.window_date} | {number(row.n_predictions)} | "
                     + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def json_ready(value: Any) -> Any:
    """NaN → None, dates → ISO strings, numpy scalars → Python, recursively."""
    if isinstance(value, dict):
        return {key: json_ready(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_ready(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
