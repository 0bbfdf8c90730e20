"""Drift: Vigie's KS step against a plain scipy.stats.ks_2samp loop and Evidently's preset.

All three test the numeric features of the schema, every day against the production version's
reference sample, NaN dropped. Vigie's side is the drift asset's own code path
(orchestration.assets.drift: reference_frame, day_frame, day_tests), reads from the
warehouse included. The references run on the same values already in memory as pandas frames
(their load is not timed, which favours them).

Agreement, checked before any timing counts:
- Vigie vs scipy: KS statistic and p-value equal to within 1e-9 for every day x feature.
- Vigie vs Evidently (DataDriftPreset(method="ks", threshold=alpha)): Evidently's KS test
  reports the ks_2samp p-value as the drift score and flags a column when p < threshold, with no
  effect-size condition; so its p-value must equal Vigie's within 1e-9 and its verdict must
  equal Vigie's `p < alpha` part of the rule. Vigie's full verdict (p < alpha and statistic >=
  drift_effect_size) is reported beside it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from orchestration.warehouse import Warehouse

MODEL_NAME = "credit_risk"
MODEL_VERSION = "v1"
TOLERANCE = 1e-9
NUMERIC_TYPES = ("numeric", "integer")


class DisagreementError(AssertionError):
    """The two sides of a comparison did not give the same answer: the bench stops."""


@dataclass(frozen=True)
class DriftInputs:
    """The same values for every side: reference columns and each day's current columns."""

    features: list[str]
    reference: pd.DataFrame
    current_by_day: dict[object, pd.DataFrame]


def numeric_features(project_dir: str) -> list[str]:
    """The schema's numeric and integer features of the bench model, in schema order."""
    from orchestration.seed_config import feature_schema

    return [row["feature_name"] for row in feature_schema(project_dir, MODEL_NAME)
            if row["feature_type"] in NUMERIC_TYPES]


def _wide(frame: pd.DataFrame, key: str, features: list[str]) -> pd.DataFrame:
    return frame.pivot(index=key, columns="feature_name", values="value")[features]


WHERE_VERSION = f"where model_name = '{MODEL_NAME}' and model_version = '{MODEL_VERSION}'"


def load_drift_inputs(warehouse: Warehouse, features: list[str]) -> DriftInputs:
    """Reference and per-day current values of `features`, one column each, from the dbt views."""
    reference = warehouse.query_df("select reference_row_id as row_key, feature_name, "
                                   "value_numeric as value from "
                                   f"intermediate.int_reference_values_typed {WHERE_VERSION}")
    current = warehouse.query_df("select prediction_id as row_key, window_date, feature_name, "
                                 "value_numeric as value from "
                                 f"intermediate.int_feature_values_typed {WHERE_VERSION}")
    reference = reference[reference["feature_name"].isin(features)]
    current = current[current["feature_name"].isin(features)]
    current["window_date"] = pd.to_datetime(current["window_date"]).dt.date
    by_day = {day: _wide(group, "row_key", features).astype(float)
              for day, group in current.groupby("window_date")}
    return DriftInputs(features, _wide(reference, "row_key", features).astype(float), by_day)


def asset_reader_error(warehouse: Warehouse) -> str | None:
    """Why the drift asset's parameterised reader fails on this warehouse, or None if it works."""
    try:
        from orchestration.assets.io import read_frame

        read_frame(warehouse, "select :m as model_name", {"m": MODEL_NAME})
    except Exception as exc:  # any failure means the asset path cannot be timed here
        return f"{type(exc).__name__}: {exc}"
    return None


def vigie_ks_arrow(warehouse: Warehouse, features: list[str]) -> pd.DataFrame:
    """What the drift asset does, without its reader: values read from the warehouse as Arrow,
    then models_ml.drift.ks_test per day x feature."""
    from models_ml.drift import ks_test

    reference = warehouse.query_arrow("select feature_name, value_numeric from "
                                      "intermediate.int_reference_values_typed "
                                      f"{WHERE_VERSION}").to_pandas()
    rows = []
    for feature_name in features:
        ref = reference.loc[reference["feature_name"] == feature_name, "value_numeric"]
        current = warehouse.query_arrow(
            "select window_date, value_numeric from intermediate.int_feature_values_typed "
            f"{WHERE_VERSION} and feature_name = '{feature_name}'").to_pandas()
        ref_values = ref.to_numpy(dtype=float, na_value=np.nan)
        for day, group in current.groupby("window_date"):
            result = ks_test(ref_values, group["value_numeric"].to_numpy(dtype=float,
                                                                         na_value=np.nan))
            rows.append({"window_date": pd.Timestamp(day).date(), "feature_name": feature_name,
                         "statistic": result.statistic, "pvalue": result.pvalue})
    return pd.DataFrame(rows)


def pending_ks(features: list[str], day) -> pd.DataFrame:
    """The KS tests of one day in the shape the drift asset's day_tests takes."""
    return pd.DataFrame({"model_name": MODEL_NAME, "model_version": MODEL_VERSION,
                         "feature_name": features, "test_name": "ks", "reference_hash": "",
                         "window_date": day, "n_predictions": 0})


def vigie_ks(warehouse: Warehouse, features: list[str]) -> pd.DataFrame:
    """The drift asset's path, every day: one read of the reference, one read per day of all
    its features, then KS per numeric feature (orchestration.assets.drift.day_tests)."""
    from orchestration.assets.drift import day_frame, day_tests, reference_frame, reference_samples

    reference = reference_samples(reference_frame(warehouse, MODEL_NAME, MODEL_VERSION))
    days = warehouse.query_df("select distinct window_date from staging.stg_raw__predictions")
    rows = []
    for day in sorted(pd.to_datetime(days["window_date"]).dt.date):
        rows += day_tests(reference, day_frame(warehouse, MODEL_NAME, MODEL_VERSION, day),
                          pending_ks(features, day))
    frame = pd.DataFrame(rows)
    return frame[["window_date", "feature_name", "statistic", "pvalue"]]


def scipy_ks(inputs: DriftInputs) -> pd.DataFrame:
    """The floor: scipy.stats.ks_2samp on each day x feature, NaN dropped."""
    rows = []
    for day, current in inputs.current_by_day.items():
        for feature_name in inputs.features:
            reference = inputs.reference[feature_name].dropna().to_numpy()
            result = stats.ks_2samp(reference, current[feature_name].dropna().to_numpy())
            rows.append({"window_date": day, "feature_name": feature_name,
                         "statistic": float(result.statistic), "pvalue": float(result.pvalue)})
    return pd.DataFrame(rows)


def evidently_ks(inputs: DriftInputs, *, alpha: float) -> pd.DataFrame:
    """One Evidently Report(DataDriftPreset(method='ks', threshold=alpha)) per day."""
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    definition = DataDefinition(numerical_columns=list(inputs.features))
    reference = Dataset.from_pandas(inputs.reference.reset_index(drop=True),
                                    data_definition=definition)
    rows = []
    for day, current in inputs.current_by_day.items():
        report = Report([DataDriftPreset(columns=list(inputs.features), method="ks",
                                         threshold=alpha)])
        snapshot = report.run(Dataset.from_pandas(current.reset_index(drop=True),
                                                  data_definition=definition), reference)
        scores = evidently_column_scores(snapshot, inputs.features)
        verdicts = {name: bool(pvalue < alpha) for name, pvalue in scores.items()}
        counted = evidently_drifted_count(snapshot)
        if counted != sum(verdicts.values()):
            raise DisagreementError(f"{day}: Evidently counts {counted} drifted columns but "
                                    f"{sum(verdicts.values())} have p < {alpha}")
        rows += [{"window_date": day, "feature_name": name, "pvalue": scores[name],
                  "is_drifted": verdicts[name]} for name in inputs.features]
    return pd.DataFrame(rows)


def evidently_drifted_count(snapshot: object) -> int:
    """Evidently's own count of drifted columns (DriftedColumnsCount)."""
    for result in snapshot.dict()["metrics"]:
        if result.get("config", {}).get("type", "").endswith("DriftedColumnsCount"):
            return int(result["value"]["count"])
    raise DisagreementError("Evidently reported no DriftedColumnsCount")


def evidently_column_scores(snapshot: object, features: list[str]) -> dict[str, float]:
    """Per column, the drift score (the KS p-value) of Evidently's ValueDrift metrics."""
    scores: dict[str, float] = {}
    for result in snapshot.dict()["metrics"]:
        config = result.get("config", {})
        if config.get("type", "").endswith("ValueDrift") and config.get("column") in features:
            scores[config["column"]] = float(result["value"])
    missing = sorted(set(features) - set(scores))
    if missing:
        raise DisagreementError(f"Evidently reported no drift score for {missing}")
    return scores


def _joined(left: pd.DataFrame, right: pd.DataFrame, names: tuple[str, str]) -> pd.DataFrame:
    keys = ["window_date", "feature_name"]
    joined = left.merge(right, on=keys, suffixes=("_" + names[0], "_" + names[1]),
                        how="outer", indicator=True)
    unmatched = joined[joined["_merge"] != "both"]
    if not unmatched.empty:
        raise DisagreementError(f"{names[0]} and {names[1]} tested different day x feature "
                                f"pairs, e.g. {unmatched[keys].head(3).to_dict('records')}")
    return joined


def _check_close(joined: pd.DataFrame, column: str, names: tuple[str, str]) -> float:
    a = joined[f"{column}_{names[0]}"].to_numpy(dtype=float)
    b = joined[f"{column}_{names[1]}"].to_numpy(dtype=float)
    gap = float(np.nanmax(np.abs(a - b))) if a.size else 0.0
    if gap > TOLERANCE or not np.array_equal(np.isnan(a), np.isnan(b)):
        raise DisagreementError(f"KS {column}: {names[0]} and {names[1]} differ by {gap:.3g} "
                                f"(> {TOLERANCE:g})")
    return gap


def check_drift_agreement(vigie: pd.DataFrame, scipy_rows: pd.DataFrame,
                          evidently_rows: pd.DataFrame | None, *, alpha: float,
                          effect_size: float) -> dict[str, object]:
    """Raise DisagreementError unless the sides agree as the module docstring says."""
    vs_scipy = _joined(vigie, scipy_rows, ("vigie", "scipy"))
    summary: dict[str, object] = {
        "n_tests": len(vs_scipy),
        "max_statistic_gap_scipy": _check_close(vs_scipy, "statistic", ("vigie", "scipy")),
        "max_pvalue_gap_scipy": _check_close(vs_scipy, "pvalue", ("vigie", "scipy")),
        "n_p_below_alpha": int((vigie["pvalue"] < alpha).sum()),
        "n_drifted_vigie_rule": int(((vigie["pvalue"] < alpha)
                                     & (vigie["statistic"] >= effect_size)).sum()),
    }
    if evidently_rows is not None:
        vs_evidently = _joined(vigie, evidently_rows, ("vigie", "evidently"))
        summary["max_pvalue_gap_evidently"] = _check_close(vs_evidently, "pvalue",
                                                           ("vigie", "evidently"))
        ours = vs_evidently["pvalue_vigie"].to_numpy(dtype=float) < alpha
        theirs = vs_evidently["is_drifted"].to_numpy(dtype=bool)
        if not np.array_equal(ours, theirs):
            raise DisagreementError(f"drift verdicts differ on {int((ours != theirs).sum())} "
                                    "day x feature pairs (Vigie p < alpha vs Evidently)")
        summary["n_drifted_evidently"] = int(theirs.sum())
    return summary


def drift_runners(warehouse: Warehouse, inputs: DriftInputs, *, alpha: float,
                  with_evidently: bool,
                  use_asset: bool = True) -> dict[str, Callable[[], pd.DataFrame]]:
    """The sides of the drift comparison, each a no-argument callable returning its rows."""
    vigie = vigie_ks if use_asset else vigie_ks_arrow
    runners: dict[str, Callable[[], pd.DataFrame]] = {
        "vigie": lambda: vigie(warehouse, inputs.features),
        "scipy": lambda: scipy_ks(inputs),
    }
    if with_evidently:
        runners["evidently"] = lambda: evidently_ks(inputs, alpha=alpha)
    return runners
