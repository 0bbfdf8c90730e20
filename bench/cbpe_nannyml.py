"""`python -m bench.cbpe_nannyml`: Vigie's label-free performance estimates against NannyML's CBPE
on the same rows.

    .venv-nannyml/bin/python -m bench.cbpe_nannyml --warehouse PATH.duckdb \
        --model credit_risk --version v1 --out bench/results/cbpe-nannyml

Runs in a virtualenv of its own (NannyML 0.13.1 pins lightgbm<4.6 and plotly<6; see
bench/results/cbpe-nannyml-method.md) and imports nothing of Vigie's: it reads the warehouse
read-only and the project's seeds/outcomes.csv.

- Reference: the version's validation rows (raw.validation_scores); y_true = 1 for an unfavourable
  outcome (seeds/outcomes.csv), y_pred_proba = score, y_pred = 1 where score >= the version's
  decision threshold (marts.model_versions.decision_threshold, the rule CreditModel.decide and
  the retrained models apply), timestamp = scored_at.
- Analysis: the version's predictions (raw.predictions); y_pred = 1 for an unfavourable decision.
- CBPE: chunk_period 'D' (a UTC day, as the mart's window_date), isotonic calibration fitted on the
  whole reference and always applied, as Vigie does. NannyML applies it only when its
  needs_calibration test says so; when that test says no, the calibrator is refitted on the whole
  reference and switched on here, and NannyML's own choice is reported beside it.

Writes <out>.md (per-day table, summary) and <out>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from importlib import metadata
from pathlib import Path
from typing import Any

# NannyML sends usage events to its own server unless this is set; it must be set before import.
os.environ.setdefault("NML_DISABLE_USAGE_LOGGING", "1")

import duckdb  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from nannyml import CBPE  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
OUTCOMES_SEED = REPO / "seeds" / "outcomes.csv"
# Vigie's metric name → NannyML's metric key (the same five, named alike).
from bench.cbpe_nannyml_report import METRICS, json_ready, markdown  # noqa: E402

PACKAGES = ("nannyml", "scikit-learn", "pandas", "numpy", "duckdb")
# The reference (validation rows scored at training) usually falls on one day, one chunk: NannyML
# warns of it at every fit and estimate; only its alert thresholds, unused here, need more chunks.
warnings.filterwarnings("ignore", message="The resulting number of chunks is too low")

ERROR_NO_ROWS = "{table} has no rows for model {model!r} version {version!r}"
ERROR_NO_THRESHOLD = "marts.model_versions has no decision_threshold for {model!r} {version!r}"
ERROR_SEED = "seeds/outcomes.csv names no unfavourable {kind} for model {model!r}"

REFERENCE_SQL = """
select row_id, score, outcome, scored_at
from raw.validation_scores
where model_name = ? and model_version = ?
order by scored_at, row_id
"""
ANALYSIS_SQL = """
select prediction_id, scored_at, score, decision
from raw.predictions
where model_name = ? and model_version = ?
order by scored_at, prediction_id
"""
THRESHOLD_SQL = """
select decision_threshold
from marts.model_versions
where model_name = ? and model_version = ?
"""
# Vigie's isotonic map for the version: the points of its latest fit (raw.score_calibration).
CALIBRATION_SQL = """
select score, calibrated_probability
from raw.score_calibration
where model_name = ? and model_version = ?
  and fitted_at = (select max(fitted_at) from raw.score_calibration
                   where model_name = ? and model_version = ?)
order by point_index
"""
MART_SQL = """
select *
from marts.performance_estimates
where model_name = ? and model_version = ?
order by window_date
"""


def is_unfavourable(model: str, kind: str, seed: Path = OUTCOMES_SEED) -> dict[str, bool]:
    """Each value of `kind` ('outcome' or 'decision') that seeds/outcomes.csv names for the model,
    and whether it is the unfavourable one (the positive class)."""
    seed_rows = pd.read_csv(seed, dtype=str)
    named = seed_rows[(seed_rows["model_name"] == model) & (seed_rows["value_kind"] == kind)]
    labels = dict(zip(named["value"], named["is_favorable"].str.lower() == "false", strict=True))
    if not any(labels.values()):
        raise ValueError(ERROR_SEED.format(kind=kind, model=model))
    return labels


def read_frame(conn: duckdb.DuckDBPyConnection, sql: str, table: str, model: str,
               version: str) -> pd.DataFrame:
    """The rows of one query for (model, version); raises when there are none."""
    frame = conn.execute(sql, [model, version]).df()
    if frame.empty:
        raise ValueError(ERROR_NO_ROWS.format(table=table, model=model, version=version))
    return frame


def read_inputs(warehouse: Path, model: str, version: str) -> dict[str, Any]:
    """Reference and analysis frames in NannyML's shape, the decision threshold and the mart."""
    outcome_is_positive = is_unfavourable(model, "outcome")
    decision_is_positive = is_unfavourable(model, "decision")
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        validation = read_frame(conn, REFERENCE_SQL, "raw.validation_scores", model, version)
        predictions = read_frame(conn, ANALYSIS_SQL, "raw.predictions", model, version)
        threshold_rows = conn.execute(THRESHOLD_SQL, [model, version]).fetchall()
        mart = read_frame(conn, MART_SQL, "marts.performance_estimates", model, version)
        try:
            calibration_points = conn.execute(CALIBRATION_SQL, [model, version] * 2).df()
        except duckdb.CatalogException:
            calibration_points = pd.DataFrame(columns=["score", "calibrated_probability"])
    if not threshold_rows or threshold_rows[0][0] is None:
        raise ValueError(ERROR_NO_THRESHOLD.format(model=model, version=version))
    threshold = float(threshold_rows[0][0])
    # An outcome the seed does not name is no label: Vigie leaves it out of the calibration.
    validation = validation[validation["outcome"].isin(outcome_is_positive)]
    reference = pd.DataFrame({
        "timestamp": pd.to_datetime(validation["scored_at"]),
        "y_pred_proba": validation["score"].astype(float),
        "y_pred": (validation["score"].astype(float) >= threshold).astype(int),
        "y_true": validation["outcome"].map(outcome_is_positive).astype(int),
    }).reset_index(drop=True)
    analysis = pd.DataFrame({
        "timestamp": pd.to_datetime(predictions["scored_at"]),
        "y_pred_proba": predictions["score"].astype(float),
        "y_pred": predictions["decision"].isin(
            [value for value, positive in decision_is_positive.items() if positive]).astype(int),
    }).reset_index(drop=True)
    # How often the threshold rule reproduces the served decisions (1.0 when it is the rule).
    rule_agreement = float(
        ((analysis["y_pred_proba"] >= threshold).astype(int) == analysis["y_pred"]).mean())
    mart["window_date"] = pd.to_datetime(mart["window_date"]).dt.date
    return {"reference": reference, "analysis": analysis, "threshold": threshold,
            "rule_agreement": rule_agreement, "mart": mart,
            "calibration_points": calibration_points}


def fitted_cbpe(reference: pd.DataFrame, *, force_calibration: bool) -> tuple[CBPE, bool]:
    """CBPE fitted on the reference by day, and NannyML's own needs_calibration verdict.

    With force_calibration the isotonic calibrator is (re)fitted on the whole reference and
    applied whatever that verdict was, as Vigie always calibrates.
    """
    estimator = CBPE(problem_type="classification_binary", y_pred_proba="y_pred_proba",
                     y_pred="y_pred", y_true="y_true", timestamp_column_name="timestamp",
                     metrics=list(METRICS), chunk_period="D", calibration="isotonic")
    estimator.fit(reference)
    nannyml_calibrates = bool(estimator.needs_calibration)
    if force_calibration and not nannyml_calibrates:
        # needs_calibration left the calibrator fitted on its last cross-validation fold.
        estimator.calibrator.fit(reference["y_pred_proba"], reference["y_true"])
        estimator.needs_calibration = True
    return estimator, nannyml_calibrates


def calibration_gap(estimator: CBPE, points: pd.DataFrame, scores: pd.Series) -> float | None:
    """Largest |NannyML's calibrated probability − Vigie's| over the analysis scores; None
    without Vigie's points."""
    if points.empty:
        return None
    vigie = np.interp(scores.to_numpy(dtype=float), points["score"].to_numpy(dtype=float),
                      points["calibrated_probability"].to_numpy(dtype=float))
    return float(np.max(np.abs(np.asarray(estimator.calibrator.calibrate(scores)) - vigie)))


def nannyml_daily(estimator: CBPE, analysis: pd.DataFrame) -> pd.DataFrame:
    """One row per analysis day: NannyML's estimate and confidence band of each metric."""
    result = estimator.estimate(analysis).filter(period="analysis").to_df()
    daily = pd.DataFrame({
        "window_date": pd.to_datetime(result[("chunk", "start_date")]).dt.date,
        "nannyml_n_predictions": (result[("chunk", "end_index")]
                                  - result[("chunk", "start_index")] + 1).astype(int),
    })
    for metric in METRICS:
        daily[f"nannyml_{metric}"] = result[(metric, "value")].astype(float)
        daily[f"nannyml_{metric}_low"] = result[(metric, "lower_confidence_boundary")].astype(float)
        daily[f"nannyml_{metric}_high"] = result[(metric, "upper_confidence_boundary")].astype(
            float)
    return daily


def compared_days(mart: pd.DataFrame, daily: pd.DataFrame) -> pd.DataFrame:
    """Vigie's and NannyML's estimate per day and metric, with the absolute difference."""
    vigie = pd.DataFrame({"window_date": mart["window_date"],
                          "n_predictions": mart["n_predictions"].astype(int)})
    for metric in METRICS:
        vigie[f"vigie_{metric}"] = mart[f"estimated_{metric}"].astype(float)
        vigie[f"vigie_{metric}_low"] = mart[f"estimated_{metric}_low"].astype(float)
        vigie[f"vigie_{metric}_high"] = mart[f"estimated_{metric}_high"].astype(float)
    days = vigie.merge(daily, on="window_date", how="outer").sort_values("window_date")
    for metric in METRICS:
        days[f"abs_difference_{metric}"] = (days[f"vigie_{metric}"]
                                            - days[f"nannyml_{metric}"]).abs()
    return days.reset_index(drop=True)


def summary(days: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Per metric: days compared, max and mean absolute difference, mean band widths."""
    out: dict[str, dict[str, Any]] = {}
    for metric in METRICS:
        difference = days[f"abs_difference_{metric}"].dropna()
        vigie_width = days[f"vigie_{metric}_high"] - days[f"vigie_{metric}_low"]
        nannyml_width = days[f"nannyml_{metric}_high"] - days[f"nannyml_{metric}_low"]
        out[metric] = {
            "days_compared": int(difference.size),
            "max_abs_difference": float(difference.max()) if difference.size else None,
            "mean_abs_difference": float(difference.mean()) if difference.size else None,
            "vigie_mean_band_width": float(vigie_width.mean()),
            "nannyml_mean_band_width": float(nannyml_width.mean()),
        }
    return out


def run(warehouse: Path, model: str, version: str) -> tuple[dict[str, Any], pd.DataFrame]:
    """Both estimators on the same rows; the report and the per-day table."""
    inputs = read_inputs(warehouse, model, version)
    forced, nannyml_calibrates = fitted_cbpe(inputs["reference"], force_calibration=True)
    days = compared_days(inputs["mart"], nannyml_daily(forced, inputs["analysis"]))
    gap = calibration_gap(forced, inputs["calibration_points"], inputs["analysis"]["y_pred_proba"])
    unforced_max: dict[str, float] = {}
    if not nannyml_calibrates:
        unforced, _ = fitted_cbpe(inputs["reference"], force_calibration=False)
        unforced_days = compared_days(inputs["mart"],
                                      nannyml_daily(unforced, inputs["analysis"]))
        unforced_max = {m: float(unforced_days[f"abs_difference_{m}"].max()) for m in METRICS}
    report = {
        "model": model, "version": version, "warehouse": str(warehouse),
        "packages": {name: metadata.version(name) for name in PACKAGES},
        "n_reference": len(inputs["reference"]), "n_analysis": len(inputs["analysis"]),
        "decision_threshold": inputs["threshold"],
        "threshold_rule_agreement": inputs["rule_agreement"],
        "calibration": {"method": "isotonic, fitted on the whole reference, always applied",
                        "nannyml_needs_calibration": nannyml_calibrates,
                        "max_abs_difference_from_vigie_map": gap,
                        "unforced_max_abs_difference": unforced_max},
        "summary": summary(days),
        "days": days.to_dict("records"),
    }
    return report, days


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cbpe_nannyml", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", type=Path, required=True, help="DuckDB file (read-only)")
    parser.add_argument("--model", default="credit_risk")
    parser.add_argument("--version", default="v1")
    parser.add_argument("--out", type=Path, default=Path("bench/results/cbpe-nannyml"),
                        help="path without suffix: writes <out>.md and <out>.json")
    args = parser.parse_args(argv)
    try:
        report, days = run(args.warehouse, args.model, args.version)
    except (ValueError, duckdb.Error) as error:
        print(f"cbpe_nannyml: {error}", file=sys.stderr)
        return 1
    report["command"] = "python -m bench.cbpe_nannyml " + " ".join(
        sys.argv[1:] if argv is None else argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    Path(f"{args.out}.json").write_text(json.dumps(json_ready(report), indent=2) + "\n")
    Path(f"{args.out}.md").write_text(markdown(report, days))
    print(markdown(report, days).split("### Per day")[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
