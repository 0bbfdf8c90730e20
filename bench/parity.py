"""Parity: Vigie's fairness marts against fairlearn's MetricFrame on the same rows.

Vigie's side is `dbt build --full-refresh --select +group_parity +fairness_summary` (the JSON
unpivot, age bands, latest labels, both marts and their data tests). fairlearn's side gets one
pandas frame per prediction (day, sensitive groups, favourable decision, latest label's
favourable outcome) already loaded (its load is not timed, which favours it), and runs, per
sensitive attribute, MetricFrame(selection_rate, count) over all rows and MetricFrame(TPR, FPR)
over labelled rows, with the day as control feature; then between_groups differences over the
groups that are not suppressed (fewer than min_group_size predictions that day).

Agreement, checked before timing counts, to within 1e-9: selection rate, TPR, FPR and row count
of every day x attribute x group in marts.group_parity, and the demographic parity difference
and equalized odds difference of every day x attribute in marts.fairness_summary.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bench.drift import MODEL_NAME, TOLERANCE, DisagreementError
from orchestration.dbt_runner import run_dbt
from orchestration.warehouse import Warehouse, WarehouseConfig

PARITY_SELECT = ["--select", "+group_parity", "+fairness_summary",
                 "--indirect-selection", "cautious"]
UNKNOWN_GROUP = "unknown"


def vigie_build(config: WarehouseConfig, target_path: str) -> None:
    """`dbt build --full-refresh` of group_parity, fairness_summary and upstream, with tests."""
    run_dbt(["build", "--full-refresh", *PARITY_SELECT], config, target_path=target_path,
            capture=True)


def band_of(values: pd.Series, bands: pd.DataFrame) -> np.ndarray:
    """Group of each value from the seed's rows: [lower, upper) bands or category values."""
    text = values.astype(object)
    number = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    groups = np.full(len(values), UNKNOWN_GROUP, dtype=object)
    for band in bands.sort_values("group_name", ascending=False).itertuples():
        if isinstance(band.category_value, str):
            hit = (text == band.category_value).to_numpy()
        else:
            low = -np.inf if pd.isna(band.lower_bound) else float(band.lower_bound)
            high = np.inf if pd.isna(band.upper_bound) else float(band.upper_bound)
            hit = (number >= low) & (number < high)
        groups[hit] = band.group_name
    return groups


def load_parity_frame(warehouse: Warehouse, project_dir: str) -> pd.DataFrame:
    """One row per prediction: day, one group column per attribute, decision, latest label."""
    seeds = f"{project_dir}/seeds"
    bands = pd.read_csv(f"{seeds}/sensitive_groups.csv")
    attributes = sorted(bands["attribute"].unique())
    columns = ", ".join(f"json_extract_string(p.features, '$.\"{a}\"') as \"{a}\""
                        for a in attributes)
    frame = warehouse.query_arrow(f"""
        with labels as (
            select prediction_id, outcome, row_number() over (
                partition by prediction_id order by received_at desc, feedback_id desc) as k
            from raw.feedback where kind = 'label' and outcome is not null)
        select cast(p.scored_at as date) as window_date, {columns},
               p.decision = 'approved' as approved, l.outcome as outcome
        from raw.predictions p left join labels l on p.prediction_id = l.prediction_id and l.k = 1
        where p.model_name = '{MODEL_NAME}'""").to_pandas()
    for attribute in attributes:
        frame[attribute] = band_of(frame[attribute], bands[bands["attribute"] == attribute])
    frame["window_date"] = pd.to_datetime(frame["window_date"]).dt.date
    frame["repaid"] = frame["outcome"].map({"repaid": 1, "defaulted": 0})
    return frame


def fairlearn_parity(frame: pd.DataFrame, attributes: list[str],
                     min_group_size: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per day x attribute x group (fairlearn's by_group) and per day x attribute summaries."""
    from fairlearn.metrics import (
        MetricFrame,
        count,
        false_positive_rate,
        selection_rate,
        true_positive_rate,
    )

    groups, summaries = [], []
    approved = frame["approved"].astype(int)
    for attribute in attributes:
        everyone = MetricFrame(metrics={"selection_rate": selection_rate, "n_predictions": count},
                               y_true=approved, y_pred=approved,
                               sensitive_features=frame[attribute].rename("group_name"),
                               control_features=frame["window_date"])
        labelled = frame[frame["repaid"].notna()]
        rates = MetricFrame(metrics={"true_positive_rate": true_positive_rate,
                                     "false_positive_rate": false_positive_rate},
                            y_true=labelled["repaid"].astype(int),
                            y_pred=labelled["approved"].astype(int),
                            sensitive_features=labelled[attribute].rename("group_name"),
                            control_features=labelled["window_date"])
        by_group = everyone.by_group.join(rates.by_group, how="left")
        # fairlearn returns 0 for a rate whose denominator is 0; DESIGN.md says undefined (null)
        denominators = labelled.groupby(["window_date", labelled[attribute].rename("group_name")])
        has_good = denominators["repaid"].apply(lambda y: (y == 1).any())
        has_bad = denominators["repaid"].apply(lambda y: (y == 0).any())
        by_group["true_positive_rate"] = by_group["true_positive_rate"].where(
            has_good.reindex(by_group.index, fill_value=False))
        by_group["false_positive_rate"] = by_group["false_positive_rate"].where(
            has_bad.reindex(by_group.index, fill_value=False))
        by_group = by_group.reset_index()
        groups.append(by_group.assign(attribute=attribute))
        sizes = frame.groupby(["window_date", attribute])[attribute].transform("size")
        kept = frame[sizes >= min_group_size]
        kept_labelled = kept[kept["repaid"].notna()]
        dp = MetricFrame(metrics=selection_rate, y_true=kept["approved"].astype(int),
                         y_pred=kept["approved"].astype(int), sensitive_features=kept[attribute],
                         control_features=kept["window_date"]).difference()
        eo = MetricFrame(metrics={"tpr": true_positive_rate, "fpr": false_positive_rate},
                         y_true=kept_labelled["repaid"].astype(int),
                         y_pred=kept_labelled["approved"].astype(int),
                         sensitive_features=kept_labelled[attribute],
                         control_features=kept_labelled["window_date"]).difference()
        summaries.append(pd.DataFrame({"demographic_parity_difference": dp,
                                       "equalized_odds_difference": eo.max(axis=1)})
                         .rename_axis("window_date").reset_index().assign(attribute=attribute))
    return pd.concat(groups, ignore_index=True), pd.concat(summaries, ignore_index=True)


def vigie_parity(warehouse: Warehouse) -> tuple[pd.DataFrame, pd.DataFrame]:
    """marts.group_parity and marts.fairness_summary of the bench model."""
    groups = warehouse.query_df(
        "select window_date, attribute, group_name, n_predictions, selection_rate, "
        "true_positive_rate, false_positive_rate from marts.group_parity "
        f"where model_name = '{MODEL_NAME}'")
    summary = warehouse.query_df(
        "select window_date, attribute, demographic_parity_difference, "
        f"equalized_odds_difference from marts.fairness_summary where model_name = '{MODEL_NAME}'")
    for frame in (groups, summary):
        frame["window_date"] = pd.to_datetime(frame["window_date"]).dt.date
    return groups, summary


def _compare(ours: pd.DataFrame, theirs: pd.DataFrame, keys: list[str],
             columns: list[str], what: str) -> float:
    joined = ours.merge(theirs, on=keys, how="outer", suffixes=("_vigie", "_fairlearn"),
                        indicator=True)
    if (joined["_merge"] != "both").any():
        sample = joined.loc[joined["_merge"] != "both", [*keys, "_merge"]].head(3)
        raise DisagreementError(f"{what}: Vigie and fairlearn have different rows:\n{sample}")
    worst = 0.0
    for column in columns:
        a = joined[f"{column}_vigie"].to_numpy(dtype=float)
        b = joined[f"{column}_fairlearn"].to_numpy(dtype=float)
        if not np.array_equal(np.isnan(a), np.isnan(b)):
            raise DisagreementError(f"{what}: {column} is undefined on one side only")
        gap = float(np.nanmax(np.abs(a - b))) if np.isfinite(a).any() else 0.0
        if gap > TOLERANCE:
            raise DisagreementError(f"{what}: {column} differs by {gap:.3g} (> {TOLERANCE:g})")
        worst = max(worst, gap)
    return worst


def check_parity_agreement(vigie: tuple[pd.DataFrame, pd.DataFrame],
                           reference: tuple[pd.DataFrame, pd.DataFrame]) -> dict[str, object]:
    """Raise DisagreementError unless group rates and summary gaps agree within 1e-9."""
    group_columns = ["n_predictions", "selection_rate", "true_positive_rate",
                     "false_positive_rate"]
    group_gap = _compare(vigie[0], reference[0], ["window_date", "attribute", "group_name"],
                         group_columns, "group_parity")
    summary_gap = _compare(vigie[1], reference[1], ["window_date", "attribute"],
                           ["demographic_parity_difference", "equalized_odds_difference"],
                           "fairness_summary")
    return {"n_groups": len(vigie[0]), "n_summaries": len(vigie[1]),
            "max_group_gap": group_gap, "max_summary_gap": summary_gap}
