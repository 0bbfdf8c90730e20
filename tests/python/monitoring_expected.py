"""Python recomputation of the monitoring marts (schema_conformance, feature_drift,
feature_distributions, drift_summary) with numpy/pandas, scipy (KS, chi-square, Cramér's V,
Wasserstein, Jensen-Shannon, Benjamini-Hochberg) and models_ml.drift's PSI, from the same raw
frames the tests write, so every mart row can be compared with an independent reference. The
auto rule, the drift rules, the Hellinger sum, the runs of drifted days and the status bands
here are test oracles of the SQL in int_feature_drift_rules.sql, feature_drift.sql and
drift_summary.sql (the only definitions)."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial import distance

from models_ml import drift

NULL = drift.NULL_CATEGORY
QUANTILES = {"p05": 0.05, "p25": 0.25, "p50": 0.5, "p75": 0.75, "p95": 0.95}


def load_schema(path: str) -> pd.DataFrame:
    """seeds/feature_schema.csv as a frame indexed by (model_name, feature_name)."""
    schema = pd.read_csv(path, keep_default_na=False, na_values={"min_value": [""],
                                                                 "max_value": [""]})
    schema["allowed_values"] = schema["allowed_values"].replace("", None)
    return schema.set_index(["model_name", "feature_name"])


def _problem(value: object, spec: Mapping[str, object]) -> str | None:
    """The conformance problem of a non-null value, in the mart's order (None = conforms)."""
    kind = spec["feature_type"]
    if kind in ("numeric", "integer"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return "type_error"
        if kind == "integer" and float(value) != math.floor(value):
            return "type_error"
        low, high = spec["min_value"], spec["max_value"]
        if (not pd.isna(low) and value < low) or (not pd.isna(high) and value > high):
            return "out_of_range"
        return None
    if not isinstance(value, str):
        return "type_error"
    allowed = spec["allowed_values"]
    if allowed is not None and value not in str(allowed).split("|"):
        return "unknown_category"
    return None


def expected_conformance(predictions: pd.DataFrame, schema: pd.DataFrame) -> pd.DataFrame:
    """schema_conformance recomputed row by row from the predictions' feature dicts."""
    rows = []
    predictions = predictions.assign(window_date=pd.to_datetime(predictions["scored_at"],
                                                                utc=True).dt.date)
    for (day, model), group in predictions.groupby(["window_date", "model_name"]):
        expected = [f for (m, f) in schema.index if m == model]
        observed = {key for features in group["features"] for key in features}
        for feature in sorted(set(expected) | observed):
            spec = schema.loc[(model, feature)] if feature in expected else None
            values = [f[feature] for f in group["features"] if feature in f]
            n_rows, n_present = len(group), len(values)
            n_missing = n_rows - n_present + sum(v is None for v in values)
            problems = [_problem(v, spec) for v in values if v is not None] if spec is not None \
                else []
            missing_bad = n_missing if spec is not None and not spec["is_nullable"] else 0
            counts = {p: problems.count(p) for p in ("type_error", "out_of_range",
                                                     "unknown_category")}
            bad = missing_bad + sum(counts.values())
            rows.append({
                "window_date": day, "model_name": model, "feature_name": feature,
                "is_expected": spec is not None, "is_observed": n_present > 0,
                "n_rows": n_rows, "n_present": n_present, "n_missing": n_missing,
                "n_missing_not_allowed": missing_bad, "n_type_errors": counts["type_error"],
                "n_out_of_range": counts["out_of_range"],
                "n_unknown_category": counts["unknown_category"], "n_nonconforming": bad,
                "conformance_rate": (n_rows - bad) / n_rows if spec is not None else None,
            })
    return pd.DataFrame(rows)


def _numeric(values: list[object]) -> np.ndarray:
    """Numbers as float (JSON numbers only; anything else is missing)."""
    return np.array([float(v) for v in values
                     if isinstance(v, int | float) and not isinstance(v, bool)], dtype=float)


def _categories(values: list[object]) -> dict[str, int]:
    """Category counts, anything but a string (absent, null, number) counted as NULL."""
    counts: dict[str, int] = {}
    for value in values:
        key = value if isinstance(value, str) else NULL
        counts[key] = counts.get(key, 0) + 1
    return counts


def _summary(values: np.ndarray, prefix: str) -> dict[str, float | None]:
    """Mean, sample std (ddof=1) and linear quantiles, None when there are too few values."""
    out: dict[str, float | None] = {
        f"{prefix}_mean": float(values.mean()) if values.size else None,
        f"{prefix}_std": float(values.std(ddof=1)) if values.size > 1 else None,
    }
    for name, q in QUANTILES.items():
        out[f"{prefix}_{name}"] = float(np.quantile(values, q)) if values.size else None
    return out


def _reference_values(reference: pd.DataFrame, version: str, feature: str,
                      kind: str) -> list[object]:
    """One value per reference row of the version (None where the feature is absent/null)."""
    rows = reference[reference["model_version"] == version]
    row_ids = rows["row_id"].drop_duplicates()
    texts = rows[rows["feature_name"] == feature].set_index("row_id")["value"]
    values = texts.reindex(row_ids).tolist()
    if kind == "categorical":
        return [v if isinstance(v, str) else None for v in values]
    return [float(v) if isinstance(v, str) else None for v in values]


def resolve_drift_test(declared: object, kind: str, n_reference_rows: int,
                       thresholds: Mapping[str, float]) -> str:
    """Oracle of int_feature_drift_rules: a named test is kept; auto (or empty) is KS /
    chi-square up to auto_drift_max_reference_rows reference rows, Wasserstein /
    Jensen-Shannon above (Evidently's rule)."""
    if isinstance(declared, str) and declared not in ("", "auto"):
        return declared
    if n_reference_rows <= thresholds.get("auto_drift_max_reference_rows", 1000):
        return "chi_square" if kind == "categorical" else "ks"
    return "jensenshannon" if kind == "categorical" else "wasserstein"


def _binned_distances(bins: list[dict]) -> dict[str, float | None]:
    """Jensen-Shannon (scipy, natural log) and Hellinger over a feature's bins; None when a
    side has no value."""
    if not bins or any(b["current_proportion"] is None or b["reference_proportion"] is None
                       for b in bins):
        return {"jensenshannon": None, "hellinger": None}
    ref = np.array([b["reference_proportion"] for b in bins], dtype=float)
    cur = np.array([b["current_proportion"] for b in bins], dtype=float)
    return {"jensenshannon": float(distance.jensenshannon(ref, cur)),
            "hellinger": float(np.sqrt(0.5 * np.sum((np.sqrt(ref) - np.sqrt(cur)) ** 2)))}


def expected_drift(predictions: pd.DataFrame, reference: pd.DataFrame,
                   schema: pd.DataFrame, thresholds: Mapping[str, float]
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """feature_drift and feature_distributions recomputed with numpy, scipy and PSI."""
    drift_rows, bin_rows = [], []
    predictions = predictions.assign(window_date=pd.to_datetime(predictions["scored_at"],
                                                                utc=True).dt.date)
    reference_rows = reference.groupby("model_version")["row_id"].nunique().to_dict()
    for (day, model, version), group in predictions.groupby(
            ["window_date", "model_name", "model_version"]):
        for (m, feature), spec in schema.iterrows():
            if m != model:
                continue
            kind = spec["feature_type"]
            current = [f.get(feature) for f in group["features"]]
            ref = _reference_values(reference, version, feature, kind)
            drift_test = (resolve_drift_test(spec.get("drift_test"), kind,
                                             reference_rows[version], thresholds)
                          if version in reference_rows else None)
            row = {"window_date": day, "model_name": model, "model_version": version,
                   "feature_name": feature, "feature_type": kind, "n_reference": len(ref),
                   "n_current": len(current), "drift_test": drift_test}
            if kind == "categorical":
                ref_counts, cur_counts = _categories(ref), _categories(current)
                row["psi"] = drift.categorical_psi(ref_counts, cur_counts) if ref else None
                cur_values = [v for v in current if isinstance(v, str)]
                row.update(_summary(np.array([]), "reference"))
                row.update(_summary(np.array([]), "current"))
                bins = _category_bins(row, ref_counts, cur_counts)
                n_ref_values = sum(v is not None for v in ref)
                test = (chi_square_oracle(ref_counts, cur_counts)
                        if ref and drift_test == "chi_square" else None)
            else:
                ref_array, cur_array = _numeric(ref), _numeric(current)
                row["psi"] = drift.psi(ref_array, cur_array)
                cur_values = cur_array.tolist()
                row.update(_summary(ref_array, "reference"))
                row.update(_summary(cur_array, "current"))
                bins = _numeric_bins(row, ref_array, cur_array)
                n_ref_values = ref_array.size
                test = None
                if ref_array.size and cur_array.size and drift_test == "ks":
                    test = stats.ks_2samp(ref_array, cur_array)
                elif ref_array.size and cur_array.size and drift_test == "wasserstein":
                    test = wasserstein_oracle(ref_array, cur_array)
            bin_rows += bins
            row.update(_binned_distances(bins))
            row["null_rate_reference"] = 1 - n_ref_values / len(ref) if ref else None
            row["null_rate_current"] = 1 - len(cur_values) / len(current)
            row.update(_test_columns(row, test))
            drift_rows.append(row)
    frame = pd.DataFrame(drift_rows)
    frame["std_ratio"] = [c / r if r else None
                          for c, r in zip(frame["current_std"], frame["reference_std"],
                                          strict=True)]
    frame = _decide(frame, thresholds)
    return frame, pd.DataFrame(bin_rows)


def wasserstein_oracle(reference: np.ndarray, current: np.ndarray) -> tuple[float, float]:
    """(distance, distance / max(population std of the reference, 0.001)): Evidently's
    normed Wasserstein, with scipy.stats.wasserstein_distance."""
    value = float(stats.wasserstein_distance(reference, current))
    return value, value / max(float(np.std(reference)), 0.001)


def chi_square_oracle(reference: Mapping[str, int], current: Mapping[str, int]
                      ) -> tuple[float, float, float] | None:
    """(statistic, p-value, Cramér's V) of the 2 × k table, by scipy.stats.chi2_contingency and
    scipy.stats.contingency.association; statistic 0, p 1, V 0 with a single category."""
    categories = sorted(c for c in set(reference) | set(current)
                        if reference.get(c, 0) + current.get(c, 0) > 0)
    table = np.array([[reference.get(c, 0) for c in categories],
                      [current.get(c, 0) for c in categories]])
    if table[0].sum() == 0 or table[1].sum() == 0:
        return None
    if len(categories) < 2:
        return 0.0, 1.0, 0.0
    result = stats.chi2_contingency(table, correction=False)
    return (float(result.statistic), float(result.pvalue),
            float(stats.contingency.association(table, method="cramer", correction=False)))


def drift_status(share: float, thresholds: Mapping[str, float]) -> str:
    """Oracle of drift_summary.sql's bands: ok < warning <= warning < alert <= alert."""
    if share >= thresholds["drift_share_alert"]:
        return "alert"
    return "warning" if share >= thresholds["drift_share_warning"] else "ok"


def _test_columns(row: dict, test) -> dict[str, object]:
    """The test's columns of the mart, and its p-value and effect for the rule."""
    out: dict[str, object] = {"ks_statistic": None, "ks_pvalue": None,
                              "chi_square_statistic": None, "chi_square_pvalue": None,
                              "cramers_v": None, "wasserstein_distance": None,
                              "wasserstein_normalised": None, "_pvalue": None, "_effect": None}
    if test is None:
        return out
    if row["drift_test"] == "chi_square":
        statistic, pvalue, cramers_v = test
        out.update(chi_square_statistic=statistic, chi_square_pvalue=pvalue,
                   cramers_v=cramers_v, _pvalue=pvalue, _effect=cramers_v)
    elif row["drift_test"] == "ks":
        out.update(ks_statistic=float(test.statistic), ks_pvalue=float(test.pvalue),
                   _pvalue=float(test.pvalue), _effect=float(test.statistic))
    else:
        out.update(wasserstein_distance=test[0], wasserstein_normalised=test[1],
                   _effect=test[1])
    return out


GRAIN = ["window_date", "model_name", "model_version"]
SERIES = ["model_name", "model_version", "feature_name"]


def _decide(frame: pd.DataFrame, thresholds: Mapping[str, float]) -> pd.DataFrame:
    """Benjamini-Hochberg across a day's p-values (scipy.stats.false_discovery_control), the
    rule of each feature, the runs of drifted days and the alert."""
    frame = frame.copy()
    frame["pvalue_adjusted"] = None
    for _, group in frame[frame["_pvalue"].notna()].groupby(GRAIN):
        adjusted = stats.false_discovery_control(group["_pvalue"].astype(float), method="bh")
        frame.loc[group.index, "pvalue_adjusted"] = adjusted
    fdr_level = thresholds.get("drift_fdr_level")
    if fdr_level is not None and pd.isna(fdr_level):
        fdr_level = None
    rules, drifted, raw = [], [], []
    for row in frame.to_dict("records"):
        pvalue, effect, declared = row["_pvalue"], row["_effect"], row["drift_test"]
        significant_raw = None if pd.isna(pvalue) else bool(pvalue < thresholds["drift_alpha"])
        raw.append(significant_raw)
        if declared in ("psi", "jensenshannon", "hellinger"):
            rule = declared
        elif declared == "wasserstein" and not pd.isna(effect):
            rule = "wasserstein"
        elif declared in ("ks", "chi_square") and not pd.isna(pvalue) and not pd.isna(effect):
            rule = declared
        else:
            rule = "psi"
        if rule in ("ks", "chi_square"):
            significant = (row["pvalue_adjusted"] < fdr_level if fdr_level is not None
                           else significant_raw)
            verdict = significant and effect >= thresholds["drift_effect_size"]
        elif rule == "wasserstein":
            verdict = effect >= thresholds["wasserstein_threshold"]
        else:
            value = row[rule]
            limit = thresholds["psi_alert" if rule == "psi" else f"{rule}_threshold"]
            verdict = value is not None and not pd.isna(value) and value >= limit
        rules.append(rule)
        drifted.append(bool(verdict))
    frame["drift_rule"], frame["is_drifted"] = rules, drifted
    frame["is_drifted_raw_pvalue"] = raw
    frame["drifted_days_in_a_row"] = 0
    for _, series in frame.sort_values("window_date").groupby(SERIES):
        run, previous = 0, None
        for index, row in series.iterrows():
            consecutive = previous is not None and (row["window_date"] - previous).days == 1
            run = (run + 1 if consecutive else 1) if row["is_drifted"] else 0
            previous = row["window_date"] if row["is_drifted"] else None
            frame.loc[index, "drifted_days_in_a_row"] = run
    windows = thresholds.get("drift_consecutive_windows", 1)
    frame["is_drift_alert"] = frame["drifted_days_in_a_row"] >= windows
    return frame.drop(columns=["_pvalue", "_effect"])


def _term(ref_share: float | None, cur_share: float | None) -> float | None:
    if ref_share is None or cur_share is None:
        return None
    r, c = max(ref_share, drift.PSI_FLOOR), max(cur_share, drift.PSI_FLOOR)
    return (c - r) * math.log(c / r)


def _key(row: dict) -> dict:
    return {k: row[k] for k in ("window_date", "model_name", "model_version", "feature_name",
                                "feature_type")}


def _numeric_bins(row: dict, ref: np.ndarray, cur: np.ndarray) -> list[dict]:
    """PSI bins of a numeric feature (np.quantile edges, right-closed)."""
    if ref.size == 0:
        return []
    edges = drift.psi_bin_edges(ref)
    n_bins = edges.size + 1
    ref_counts = np.bincount(drift.psi_bin_index(ref, edges), minlength=n_bins)
    cur_counts = np.bincount(drift.psi_bin_index(cur, edges), minlength=n_bins)
    out = []
    for i in range(n_bins):
        ref_share = ref_counts[i] / ref.size
        cur_share = cur_counts[i] / cur.size if cur.size else None
        out.append({**_key(row), "bin_label": f"bin {i + 1:02d}", "bin_index": i + 1,
                    "lower_bound": edges[i - 1] if i > 0 else None,
                    "upper_bound": edges[i] if i < edges.size else None,
                    "n_reference": int(ref_counts[i]), "n_current": int(cur_counts[i]),
                    "reference_proportion": ref_share, "current_proportion": cur_share,
                    "psi_contribution": _term(ref_share, cur_share)})
    return out


def _category_bins(row: dict, ref: dict[str, int], cur: dict[str, int]) -> list[dict]:
    """One bin per category of either side."""
    n_ref, n_cur = sum(ref.values()), sum(cur.values())
    out = []
    for category in sorted(set(ref) | set(cur)):
        ref_share = ref.get(category, 0) / n_ref if n_ref else None
        cur_share = cur.get(category, 0) / n_cur if n_cur else None
        out.append({**_key(row), "bin_label": category, "bin_index": None,
                    "category_value": category, "n_reference": ref.get(category, 0),
                    "n_current": cur.get(category, 0), "reference_proportion": ref_share,
                    "current_proportion": cur_share,
                    "psi_contribution": _term(ref_share, cur_share)})
    return out


def expected_summary(feature_drift: pd.DataFrame, thresholds: Mapping[str, float]) -> pd.DataFrame:
    """drift_summary recomputed from a feature_drift frame with the status-band oracle."""
    rows = []
    for (day, model, version), group in feature_drift.groupby(
            ["window_date", "model_name", "model_version"]):
        share = group["is_drifted"].sum() / len(group)
        alert_share = group["is_drift_alert"].sum() / len(group)
        rows.append({"window_date": day, "model_name": model, "model_version": version,
                     "n_features": len(group), "n_drifted": int(group["is_drifted"].sum()),
                     "drift_share": share, "n_drift_alerts": int(group["is_drift_alert"].sum()),
                     "alert_share": alert_share,
                     "status": drift_status(alert_share, thresholds),
                     "drifted_features": ", ".join(sorted(group.loc[group["is_drifted"],
                                                                    "feature_name"]))})
    return pd.DataFrame(rows)
