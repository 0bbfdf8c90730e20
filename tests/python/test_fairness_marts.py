"""marts.group_parity, fairness_summary (daily and 7-day) and candidate_parity built by dbt on
DuckDB and PostgreSQL, compared row by row with fairlearn's MetricFrame, demographic parity and
equalized odds functions on random traffic (tied scores, missing and unmatched sex and age)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import make_config
from fairlearn import metrics as fm
from rawdata import dbt_build, fresh_warehouse, write_raw

from orchestration.warehouse import Warehouse

ROOT = Path(__file__).resolve().parents[2]
BANDS = pd.read_csv(ROOT / "seeds" / "sensitive_groups.csv")
SCHEMA = pd.read_csv(ROOT / "seeds" / "feature_schema.csv")
ATTRIBUTES = sorted(SCHEMA.loc[SCHEMA["is_sensitive"], "feature_name"])
THRESHOLDS = pd.read_csv(ROOT / "seeds" / "thresholds.csv").set_index(
    "threshold_name")["threshold_value"].to_dict()
MIN_GROUP = THRESHOLDS["min_group_size"]
START = dt.date(2030, 3, 1)
DAY_OFFSETS = (0, 1, 2, 4, 8)
VERSIONS = {"v1": 700, "v2": 60}  # v2 is small: most of its groups are suppressed
ONE_CLASS_DAY = (2, "v2")  # every label of that day × version is 'repaid'
ABSENT = "<absent>"
DAY_KEYS = ["window_date", "model_name", "model_version"]
EVAL_KEYS = ["evaluation_id", "model_name", "model_version", "evaluation_role"]
ATOL = 1e-9
FAIRNESS_MARTS = ("+path:models/marts/fairness", "--indirect-selection", "cautious")


@dataclass
class Traffic:
    predictions: pd.DataFrame
    feedback: pd.DataFrame
    evaluation: pd.DataFrame
    registry: pd.DataFrame
    # raw.validation_scores: each version's held-out validation rows (its validation AUC).
    validation: pd.DataFrame = field(default_factory=pd.DataFrame)


def _features(rng: np.random.Generator) -> dict[str, object]:
    """Sex may be absent, null or outside the bands; age is on a half-year grid around edges."""
    features: dict[str, object] = {
        "sex": rng.choice(["female", "male", "other", None, ABSENT], p=[.35, .45, .04, .06, .1]),
        "age": float(rng.integers(36, 160)) / 2 if rng.random() < 0.92 else
        rng.choice([None, ABSENT]),
        "credit_amount": int(rng.integers(250, 15000)),
        "duration": int(rng.integers(4, 72)),
        "purpose": str(rng.choice(["car", "business", "education", "repairs"])),
        "housing": str(rng.choice(["own", "rent", "free"])),
    }
    return {k: v for k, v in features.items() if not (isinstance(v, str) and v == ABSENT)}


def make_traffic(seed: int = 7) -> Traffic:
    """A few days of two versions: scores on a 1/64 grid (ties, exact in float32), partial,
    sometimes corrected labels, ratings and implicit events, an evaluation and registry rows."""
    rng = np.random.default_rng(seed)
    predictions, feedback = [], []
    for offset in DAY_OFFSETS:
        day = pd.Timestamp(START + dt.timedelta(days=offset))
        for version, n in VERSIONS.items():
            features = [_features(rng) for _ in range(n)]
            female = np.array([f.get("sex") == "female" for f in features])
            score = np.clip(rng.integers(0, 65, n) + 10 * female, 0, 64) / 64
            cut = 0.3 if offset == 8 else 0.5  # approvals drop on the last day
            ids = [f"p-{offset:02d}-{version}-{i:05d}" for i in range(n)]
            predictions.append(pd.DataFrame({
                "prediction_id": ids, "model_name": "credit_risk", "model_version": version,
                "scored_at": day + pd.to_timedelta(rng.integers(0, 86_399, n), unit="s"),
                "entity_id": [f"c-{i}" for i in range(n)], "features": features,
                "score": score, "decision": np.where(score < cut, "approved", "declined"),
                "latency_ms": rng.integers(8, 4000, n) / 8,
            }))
            for kind, share in (("label", .6), ("label", .06), ("rating", .2), ("rating", .04),
                                ("implicit", .3), ("implicit", .05)):
                chosen = np.flatnonzero(rng.random(n) < share)
                m = len(chosen)
                defaulted = rng.random(m) < 0.05 + 0.8 * score[chosen]
                if (offset, version) == ONE_CLASS_DAY:
                    defaulted[:] = False
                feedback.append(pd.DataFrame({
                    "prediction_id": [ids[i] for i in chosen],
                    "received_at": day + pd.to_timedelta(rng.integers(1, 20 * 86_400, m), "s"),
                    "kind": kind,
                    "outcome": np.where(defaulted, "defaulted", "repaid") if kind == "label"
                    else None,
                    "rating": rng.integers(1, 6, m) if kind == "rating" else None,
                    "event": rng.choice(["converted", "engaged"], m) if kind == "implicit"
                    else None,
                }))
    predictions = pd.concat(predictions, ignore_index=True)
    feedback = pd.concat(feedback, ignore_index=True)
    feedback["rating"] = feedback["rating"].astype("Int64")
    feedback.insert(0, "feedback_id", [f"f-{i:06d}" for i in range(len(feedback))])
    sample = list(rng.choice(predictions["prediction_id"], 400, replace=False))
    held_out = sample + [f"ghost-{i}" for i in range(20)]  # unknown to raw.predictions
    outcome = np.where(rng.random(len(held_out)) < 0.3, "defaulted", "repaid")
    evaluation = pd.concat([pd.DataFrame({
        "evaluation_id": "eval-1", "model_name": "credit_risk", "model_version": version,
        "role": role, "prediction_id": held_out, "score": score,
        "decision": np.where(score < 0.5, "approved", "declined"), "outcome": outcome,
        "scored_at": pd.Timestamp("2030-03-10"),
    }) for version, role, score in (
        ("v1", "production", rng.integers(0, 65, len(held_out)) / 64),
        ("v3", "candidate", rng.integers(0, 65, len(held_out)) / 64))], ignore_index=True)
    registry = pd.DataFrame({  # v1: the registered row, not the promotion; v2: the latest
        "registry_event_id": ["r1", "r2", "r3", "r4"], "model_name": "credit_risk",
        "model_version": ["v1", "v1", "v2", "v2"], "stage": "candidate",
        "event": ["registered", "promoted", "registered", "registered"],
        "recorded_at": pd.to_datetime(["2030-02-01", "2030-02-02", "2030-02-03", "2030-02-05"]),
        "validation_auc": [0.8125, 0.5, 0.75, 0.78125]})
    validation = pd.concat([pd.DataFrame({  # scores on a 1/64 grid: ties
        "model_name": "credit_risk", "model_version": version,
        "row_id": [f"val-{version}-{i}" for i in range(n)],
        "score": rng.integers(0, 65, n) / 64,
        "outcome": np.where(rng.random(n) < 0.3, "defaulted", "repaid"),
        "scored_at": pd.Timestamp("2030-02-01")}) for version, n in (("v1", 90), ("v2", 40))],
        ignore_index=True)
    return Traffic(predictions, feedback, evaluation, registry, validation)


def build_warehouse(target: str, tmp: Path, traffic: Traffic, *select: str) -> Warehouse:
    """Write `traffic` into a fresh warehouse and dbt build `select` (one build per module)."""
    config, drop = make_config(target, tmp)
    warehouse = fresh_warehouse(config)
    warehouse.drop = drop
    for table, frame in (("predictions", traffic.predictions), ("feedback", traffic.feedback),
                         ("evaluation_scores", traffic.evaluation),
                         ("model_registry", traffic.registry),
                         ("validation_scores", traffic.validation)):
        if len(frame):
            write_raw(warehouse, table, frame)
    dbt_build(config, str(tmp / "dbt_target"), "--select", *select)
    return warehouse


BAND_LIST = {a: list(b.itertuples()) for a, b in BANDS.groupby("attribute")}


def group_of(value: object, attribute: str) -> str:
    """The seed band a value falls in ([lower, upper) or category), else 'unknown'."""
    for band in BAND_LIST.get(attribute, []):
        if pd.notna(band.category_value):
            if isinstance(value, str) and value == band.category_value:
                return band.group_name
        elif isinstance(value, int | float) and not isinstance(value, bool) and (
                pd.isna(band.lower_bound) or value >= band.lower_bound) and (
                pd.isna(band.upper_bound) or value < band.upper_bound):
            return band.group_name
    return "unknown"


def latest_labels(feedback: pd.DataFrame) -> pd.Series:
    """1 = repaid (favourable) for the latest label of each prediction."""
    labels = feedback[feedback["kind"] == "label"].sort_values(["received_at", "feedback_id"])
    latest = labels.drop_duplicates("prediction_id", keep="last").set_index("prediction_id")
    return (latest["outcome"] == "repaid").astype(float)


def prediction_groups(traffic: Traffic) -> pd.DataFrame:
    """One row per prediction × attribute: group, favourable decision and outcome (NaN)."""
    p = traffic.predictions
    outcome = latest_labels(traffic.feedback)
    base = pd.DataFrame({
        "window_date": p["scored_at"].dt.date.astype(str), "model_name": p["model_name"],
        "model_version": p["model_version"], "prediction_id": p["prediction_id"],
        "decision": (p["decision"] == "approved").astype(int),
        "outcome": p["prediction_id"].map(outcome)})
    return pd.concat([base.assign(attribute=a, group_name=[group_of(f.get(a), a)
                                                           for f in p["features"]])
                      for a in ATTRIBUTES], ignore_index=True)


def parity_reference(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """fairlearn MetricFrame by group per key × attribute; TPR / FPR over the labelled rows,
    NaN where the group has no favourable (TPR) or unfavourable (FPR) outcome."""
    rates = {"true_positive_rate": partial(fm.true_positive_rate, pos_label=1),
             "false_positive_rate": partial(fm.false_positive_rate, pos_label=1)}
    parts = []
    for key, part in frame.groupby(keys + ["attribute"]):
        by_group = fm.MetricFrame(metrics={"selection_rate": fm.selection_rate,
                                           "n_predictions": fm.count},
                                  y_true=part["decision"], y_pred=part["decision"],
                                  sensitive_features=part["group_name"]).by_group
        labelled = part[part["outcome"].notna()]
        counts = labelled.groupby("group_name")["outcome"].agg(["size", "sum"])
        by_group["n_labeled"] = counts["size"].reindex(by_group.index, fill_value=0)
        by_group["n_favorable_outcomes"] = counts["sum"].reindex(by_group.index, fill_value=0)
        if len(labelled):
            labelled_rates = fm.MetricFrame(
                metrics=rates, y_true=labelled["outcome"].astype(int),
                y_pred=labelled["decision"], sensitive_features=labelled["group_name"]).by_group
            by_group = by_group.join(labelled_rates.astype(float))
        by_group = by_group.reindex(columns=[*by_group.columns.drop(list(rates), errors="ignore"),
                                             *rates])
        n_good, n_labeled = by_group["n_favorable_outcomes"], by_group["n_labeled"]
        by_group.loc[n_good == 0, "true_positive_rate"] = np.nan
        by_group.loc[n_labeled - n_good == 0, "false_positive_rate"] = np.nan
        by_group["is_suppressed"] = by_group["n_predictions"] < MIN_GROUP
        parts.append(by_group.reset_index().assign(
            **dict(zip(keys + ["attribute"], key, strict=True))))
    return pd.concat(parts, ignore_index=True)


def summary_reference(frame: pd.DataFrame, parity: pd.DataFrame, keys: list[str]):
    """fairlearn's between-groups differences over the non-suppressed groups."""
    kept = parity.loc[~parity["is_suppressed"], keys + ["attribute", "group_name"]]
    frame = frame.merge(kept, on=keys + ["attribute", "group_name"])
    rows = []
    for key, part in frame.groupby(keys + ["attribute"]):
        row = dict(zip(keys + ["attribute"], key, strict=True))
        d, g = part["decision"], part["group_name"]
        row["demographic_parity_difference"] = fm.demographic_parity_difference(
            d, d, sensitive_features=g)
        row["demographic_parity_ratio"] = fm.demographic_parity_ratio(d, d, sensitive_features=g)
        labelled = part[part["outcome"].notna()]
        classes = labelled.groupby("group_name")["outcome"].nunique()
        if len(classes) and (classes == 2).all():  # every rate defined: fairlearn's own value
            row["equalized_odds_difference"] = fm.equalized_odds_difference(
                labelled["outcome"].astype(int), labelled["decision"],
                sensitive_features=labelled["group_name"])
        rows.append(row)
    return pd.DataFrame(rows, columns=keys + ["attribute", "equalized_odds_difference",
                                              "demographic_parity_difference",
                                              "demographic_parity_ratio"])


def assert_rows_close(actual: pd.DataFrame, expected: pd.DataFrame, keys: list[str],
                      columns: list[str]) -> None:
    """Same keys on both sides; every column equal to ATOL (null ↔ NaN)."""
    actual = actual.assign(**{k: actual[k].astype(str) for k in keys})
    expected = expected.assign(**{k: expected[k].astype(str) for k in keys})
    merged = actual.merge(expected, on=keys, how="outer", suffixes=("", "_ref"), indicator=True)
    assert (merged["_merge"] == "both").all(), merged.loc[merged["_merge"] != "both", keys]
    for column in columns:
        ours = pd.to_numeric(merged[column].astype(object), errors="coerce").astype(float)
        theirs = pd.to_numeric(merged[f"{column}_ref"].astype(object)).astype(float)
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=ATOL, equal_nan=True,
                                   err_msg=column)


@pytest.fixture(scope="module")
def traffic() -> Traffic:
    return make_traffic()


@pytest.fixture(scope="module",
                params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def built(request, tmp_path_factory, traffic) -> Warehouse:
    warehouse = build_warehouse(request.param, tmp_path_factory.mktemp(request.param), traffic,
                                *FAIRNESS_MARTS)
    yield warehouse
    warehouse.drop()


def mart(warehouse: Warehouse, name: str) -> pd.DataFrame:
    """A mart as a frame, its window_date as ISO text."""
    frame = warehouse.query_df(f"select * from marts.{name}")
    if "window_date" in frame:
        frame["window_date"] = pd.to_datetime(frame["window_date"]).dt.strftime("%Y-%m-%d")
    return frame


def rolling(groups: pd.DataFrame) -> pd.DataFrame:
    """Each row repeated for every window_date whose 7 days [end − 6, end] contain it."""
    ends = groups[DAY_KEYS].drop_duplicates()
    frame = groups.rename(columns={"window_date": "day"}).merge(ends, on=DAY_KEYS[1:])
    lag = pd.to_datetime(frame["window_date"]) - pd.to_datetime(frame["day"])
    return frame[(lag >= pd.Timedelta(0)) & (lag <= pd.Timedelta(days=6))]


PARITY_COLUMNS = ["n_predictions", "selection_rate", "n_labeled", "n_favorable_outcomes",
                  "true_positive_rate", "false_positive_rate", "is_suppressed"]
SUMMARY_COLUMNS = ["demographic_parity_difference", "demographic_parity_ratio"]


@pytest.mark.parametrize("daily,summary,window", [
    ("group_parity", "fairness_summary", False),
    ("group_parity_7d", "fairness_summary_7d", True)])
def test_parity_and_summary_equal_fairlearn(built, traffic, daily, summary, window):
    groups = prediction_groups(traffic)
    frame = rolling(groups) if window else groups
    expected = parity_reference(frame, DAY_KEYS)
    assert set(expected["group_name"]) >= {"unknown", "female", "male", "under_25"}
    assert expected["is_suppressed"].any() and not expected["is_suppressed"].all()
    keys = DAY_KEYS + ["attribute", "group_name"]
    assert_rows_close(mart(built, daily), expected, keys, PARITY_COLUMNS)

    reference = summary_reference(frame, expected, DAY_KEYS)
    ours = mart(built, summary)
    assert_rows_close(ours.dropna(subset=["demographic_parity_difference"]), reference,
                      DAY_KEYS + ["attribute"], SUMMARY_COLUMNS)
    eod = reference.dropna(subset=["equalized_odds_difference"])
    assert len(eod) >= len(reference) // 2
    all_suppressed = ours["n_groups"] == ours["n_suppressed_groups"]
    assert (ours["demographic_parity_difference"].isna() == all_suppressed).all()
    assert_rows_close(ours.merge(eod[DAY_KEYS + ["attribute"]]), eod,
                      DAY_KEYS + ["attribute"], ["equalized_odds_difference"])
    ratio = ours["demographic_parity_ratio"].astype(float)
    passes = ours["passes_four_fifths_rule"].astype(object)
    assert (passes[ratio.notna()] == (ratio[ratio.notna()] >= 0.8)).all()
    assert passes[ratio.isna()].isna().all()


def test_candidate_parity_equals_fairlearn(built, traffic):
    groups = prediction_groups(traffic).set_index(["prediction_id", "attribute"])["group_name"]
    e = traffic.evaluation
    frame = pd.concat([pd.DataFrame({
        "evaluation_id": e["evaluation_id"], "model_name": e["model_name"],
        "model_version": e["model_version"], "evaluation_role": e["role"], "attribute": a,
        "decision": (e["decision"] == "approved").astype(int),
        "outcome": (e["outcome"] == "repaid").astype(float),
        "group_name": [groups.get((pid, a), "unknown") for pid in e["prediction_id"]]})
        for a in ATTRIBUTES], ignore_index=True)
    expected = parity_reference(frame, EVAL_KEYS)
    assert_rows_close(mart(built, "candidate_parity"), expected,
                      EVAL_KEYS + ["attribute", "group_name"], PARITY_COLUMNS)
    reference = summary_reference(frame, expected, EVAL_KEYS)
    assert_rows_close(mart(built, "candidate_fairness_summary"), reference,
                      EVAL_KEYS + ["attribute"],
                      SUMMARY_COLUMNS + ["equalized_odds_difference"])
