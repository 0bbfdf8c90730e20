"""marts.model_performance, business_kpis, kpi_alerts and top_bottom built by dbt on DuckDB and
PostgreSQL, compared row by row with scikit-learn (roc_auc_score, precision_recall_fscore_support,
accuracy_score, brier_score_loss) and pandas/numpy; and the migration story end to end."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import (
    accuracy_score,
    brier_score_loss,
    precision_recall_fscore_support,
    roc_auc_score,
)
from test_fairness_marts import (
    ROOT,
    THRESHOLDS,
    Traffic,
    assert_rows_close,
    build_warehouse,
    make_traffic,
    mart,
)

from models_ml.credit_model import fit_credit_model, fit_reference_model, load_german_credit
from models_ml.scenarios import migrated_training_rows
from models_ml.simulate import simulate_traffic

COSTS = pd.read_csv(ROOT / "seeds" / "cost_matrix.csv")
KEYS = ["window_date", "model_name", "model_version"]
PERFORMANCE_MARTS = ("+path:models/marts/performance", "--indirect-selection", "cautious")
# Each KPI's check in marts.kpi_alerts: bad direction, baseline kind and weeks.
KPI_CHECKS = pd.read_csv(ROOT / "seeds" / "kpi_checks.csv").set_index("kpi_name")


def labelled_predictions(traffic: Traffic) -> pd.DataFrame:
    """Predictions with their window_date and latest label's outcome (NaN when unlabelled)."""
    labels = traffic.feedback[traffic.feedback["kind"] == "label"]
    latest = labels.sort_values(["received_at", "feedback_id"]).drop_duplicates(
        "prediction_id", keep="last").set_index("prediction_id")["outcome"]
    p = traffic.predictions
    return p.assign(window_date=p["scored_at"].dt.date.astype(str),
                    outcome=p["prediction_id"].map(latest))


def performance_reference(frame: pd.DataFrame, validation_scores: pd.DataFrame) -> pd.DataFrame:
    """scikit-learn per day × version, positive class = default, positive prediction = decline;
    validation_auc = roc_auc_score on the version's validation rows (raw.validation_scores)."""
    validation = {version: roc_auc_score(rows["outcome"] == "defaulted", rows["score"])
                  for version, rows in validation_scores.groupby("model_version")}
    rows = []
    for key, part in frame.groupby(KEYS):
        row = dict(zip(KEYS, key, strict=True), n_labeled=0)
        row["validation_auc"] = validation.get(key[2], np.nan)
        lab = part[part["outcome"].notna()]
        if len(lab):
            y = (lab["outcome"] == "defaulted").astype(int)
            yhat = (lab["decision"] != "approved").astype(int)
            precision, recall, f1, _ = precision_recall_fscore_support(
                y, yhat, average="binary", pos_label=1, zero_division=np.nan)
            auc = roc_auc_score(y, lab["score"]) if y.nunique() == 2 else np.nan
            row.update(n_labeled=len(lab), n_positive=int(y.sum()), roc_auc=auc,
                       precision=precision, recall=recall, f1=f1,
                       accuracy=accuracy_score(y, yhat),
                       brier_score=brier_score_loss(y, lab["score"], labels=[0, 1]),
                       auc_gap=row["validation_auc"] - auc)
        rows.append(row)
    return pd.DataFrame(rows)


def kpi_reference(frame: pd.DataFrame, feedback: pd.DataFrame) -> pd.DataFrame:
    """Business KPIs with pandas/numpy (numpy.quantile for latency, linear interpolation)."""
    cost = frame.merge(COSTS, on=["decision", "outcome"], how="left")["cost"].to_numpy()
    frame = frame.assign(cost=cost, approved=frame["decision"] == "approved")
    rows = []
    for key, part in frame.groupby(KEYS):
        lab = part[part["outcome"].notna()]
        approved_lab = lab[lab["approved"]]
        mine = feedback[feedback["prediction_id"].isin(part["prediction_id"])]
        ratings = mine.loc[mine["kind"] == "rating", "rating"].astype(float)
        implicit = mine[mine["kind"] == "implicit"]
        converted = implicit.loc[implicit["event"] == "converted", "prediction_id"]
        p50, p95 = np.quantile(part["latency_ms"].to_numpy(), [0.5, 0.95])
        rows.append(dict(
            zip(KEYS, key, strict=True), n_predictions=len(part),
            approval_rate=part["approved"].mean(), n_labeled=len(lab),
            default_rate=(approved_lab["outcome"] == "defaulted").mean()
            if len(approved_lab) else np.nan,
            n_false_approvals=int((lab["approved"] & (lab["outcome"] == "defaulted")).sum()),
            n_false_refusals=int((~lab["approved"] & (lab["outcome"] == "repaid")).sum()),
            cost_per_decision=lab["cost"].sum() / len(lab) if len(lab) else np.nan,
            avg_rating=ratings.mean() if len(ratings) else np.nan, n_ratings=len(ratings),
            conversion_rate=converted.nunique() / len(part),
            engagement_rate=implicit["prediction_id"].nunique() / len(part),
            latency_p50_ms=p50, latency_p95_ms=p95))
    return pd.DataFrame(rows)


def alert_reference(kpis: pd.DataFrame, checks: pd.DataFrame = KPI_CHECKS) -> pd.DataFrame:
    """KPIs beyond kpi_drop_ratio the bad way vs their baseline (seeds/kpi_checks): the mean of
    the 7 days before, or of the same weekday over the previous baseline_weeks weeks."""
    ratio, rows = THRESHOLDS["kpi_drop_ratio"], []
    kpis = kpis.assign(day=pd.to_datetime(kpis["window_date"]))
    for (name, version), part in kpis.groupby(["model_name", "model_version"]):
        for kpi, check in checks.iterrows():
            values = part.set_index("day")[kpi].dropna()
            for day, observed in values.items():
                lag = (day - values.index).days
                week = values[(lag >= 1) & (lag <= 7)]
                weekday = values[(lag >= 7) & (lag <= 7 * check["baseline_weeks"])
                                 & (lag % 7 == 0)]
                baseline = week if check["baseline"] == "trailing_week" else weekday
                if not len(baseline) or baseline.mean() == 0:
                    continue
                change = (observed - baseline.mean()) / baseline.mean()
                if (change < -ratio) if check["bad_direction"] == "down" else (change > ratio):
                    rows.append(dict(
                        window_date=day.strftime("%Y-%m-%d"), model_name=name,
                        model_version=version, kpi_name=kpi, baseline_kind=check["baseline"],
                        observed_value=observed, baseline_value=baseline.mean(),
                        n_baseline_days=len(baseline), relative_change=change,
                        trailing_week_baseline_value=week.mean() if len(week) else np.nan,
                        same_weekday_baseline_value=weekday.mean()
                        if len(weekday) else np.nan))
    return pd.DataFrame(rows)


def ntile(n: int) -> np.ndarray:
    """SQL ntile(10) over n ordered rows: sizes differ by one, the first buckets larger."""
    q, r = divmod(n, 10)
    return np.array([i // (q + 1) + 1 if i < r * (q + 1) else r + (i - r * (q + 1)) // q + 1
                     for i in range(n)])


def top_bottom_reference(frame: pd.DataFrame) -> pd.DataFrame:
    """Feature means and the top decile's modal category in deciles of (score, prediction_id)."""
    rows = []
    for key, part in frame.groupby(KEYS):
        part = part.sort_values(["score", "prediction_id"])
        decile = ntile(len(part))
        top, bottom = list(part["features"][decile == 10]), list(part["features"][decile == 1])
        for feature in sorted({name for f in top + bottom for name in f}):
            def values(rows_, kind, feature=feature):
                return [f[feature] for f in rows_ if isinstance(f.get(feature), kind)
                        and not isinstance(f.get(feature), bool)]
            numeric_top, numeric_bottom = values(top, int | float), values(bottom, int | float)
            counts = pd.Series(values(top, str), dtype=object).value_counts()
            row = dict(zip(KEYS, key, strict=True), feature_name=feature,
                       n_top_decile=len(top), n_bottom_decile=len(bottom),
                       top_decile_mean=np.mean(numeric_top) if numeric_top else np.nan,
                       bottom_decile_mean=np.mean(numeric_bottom) if numeric_bottom else np.nan)
            if len(counts):
                best = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[0][0]
                row.update(top_decile_category=best,
                           top_decile_category_share=counts[best] / len(top),
                           bottom_decile_category_share=values(bottom, str).count(best)
                           / len(bottom))
            rows.append(row)
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def traffic() -> Traffic:
    return make_traffic(seed=11)


@pytest.fixture(scope="module",
                params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def built(request, tmp_path_factory, traffic):
    warehouse = build_warehouse(request.param, tmp_path_factory.mktemp(request.param), traffic,
                                *PERFORMANCE_MARTS)
    yield warehouse
    warehouse.drop()


def test_model_performance_equals_sklearn(built, traffic):
    expected = performance_reference(labelled_predictions(traffic), traffic.validation)
    ours = mart(built, "model_performance")
    assert_rows_close(ours, expected, KEYS,
                      ["n_labeled", "roc_auc", "precision", "recall", "f1", "accuracy",
                       "brier_score", "validation_auc", "auc_gap"])
    one_class = ours[(ours["window_date"] == "2030-03-03") & (ours["model_version"] == "v2")]
    assert len(one_class) == 1 and one_class["roc_auc"].isna().all()
    assert ours["roc_auc"].notna().sum() >= len(ours) - 1


def test_business_kpis_and_alerts_equal_pandas(built, traffic):
    kpis = kpi_reference(labelled_predictions(traffic), traffic.feedback)
    columns = [c for c in kpis.columns if c not in KEYS]
    assert_rows_close(mart(built, "business_kpis"), kpis, KEYS, columns)
    alerts = alert_reference(kpis)
    assert ((alerts["kpi_name"] == "approval_rate") & (alerts["window_date"] == "2030-03-09")).any()
    assert_rows_close(mart(built, "kpi_alerts"), alerts, KEYS + ["kpi_name", "baseline_kind"],
                      ["observed_value", "baseline_value", "n_baseline_days", "relative_change",
                       "trailing_week_baseline_value", "same_weekday_baseline_value"])
    # both baselines are in use with the seed as shipped
    assert set(alerts["baseline_kind"]) == {"trailing_week", "same_weekday"}


def test_top_bottom_equals_pandas(built, traffic):
    expected = top_bottom_reference(labelled_predictions(traffic))
    ours = mart(built, "top_bottom")
    keys = KEYS + ["feature_name"]
    assert_rows_close(ours, expected, keys,
                      ["n_top_decile", "n_bottom_decile", "top_decile_mean", "bottom_decile_mean",
                       "top_decile_category_share", "bottom_decile_category_share"])
    merged = ours.merge(expected.astype({k: str for k in keys}), on=keys, suffixes=("", "_ref"))
    assert (merged["top_decile_category"].fillna("") ==
            merged["top_decile_category_ref"].fillna("")).all()


MIGRATION = {"days": 10, "shift_day": 5, "per_day": 1000, "seed": 3,
             "start_date": dt.date(2030, 5, 1)}


@pytest.fixture(scope="module")
def migration() -> tuple[Traffic, float]:
    """The simulator's migration scenario and the retrained model's validation AUC (on a
    held-out part of its own migrated extract, whose scores raw.validation_scores holds)."""
    german = load_german_credit(ROOT / "seeds" / "german_credit.csv")
    simulated = simulate_traffic(german, scenario="migration",
                                 model=fit_reference_model(german, seed=1), **MIGRATION)
    rows, target = migrated_training_rows(german, seed=3)
    holdout = np.random.default_rng(0).random(len(rows)) < 0.3
    refit = fit_credit_model(rows[~holdout], target[~holdout], seed=3, threshold=0.5)
    scores = refit.predict_default_probability(rows[holdout])
    # Logged scores rounded to float32 so the reference does not depend on an engine's float
    # width; the validation rows go to raw.validation_scores (double), where dbt takes the AUC.
    validation = pd.DataFrame({
        "model_name": "credit_risk", "model_version": "v1",
        "row_id": [f"g{i:04d}" for i in np.flatnonzero(holdout)], "score": scores,
        "outcome": np.where(target[holdout] == 1, "defaulted", "repaid"),
        "scored_at": pd.Timestamp("2030-04-30")})
    validation_auc = roc_auc_score(target[holdout], scores)
    predictions = simulated.predictions.copy()
    predictions["score"] = predictions["score"].astype(np.float32).astype(float)
    registry = pd.DataFrame({
        "registry_event_id": ["m1"], "model_name": "credit_risk", "model_version": "v1",
        "event": "registered", "stage": "production",
        "recorded_at": [pd.Timestamp("2030-04-30")]})
    empty = pd.DataFrame(columns=["evaluation_id"])
    return Traffic(predictions, simulated.feedback, empty, registry, validation), validation_auc


@pytest.mark.parametrize("target", ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_migration_fails_four_fifths_after_shift_and_shows_auc_gap(migration, target, tmp_path):
    traffic, validation_auc = migration
    # Models and seeds only: the data tests run on every mart in the modules' own builds.
    warehouse = build_warehouse(target, tmp_path, traffic, "+fairness_summary",
                                "+fairness_summary_7d", "+model_performance",
                                "--resource-type", "model", "--resource-type", "seed")
    try:
        summary = mart(warehouse, "fairness_summary")
        weekly = mart(warehouse, "fairness_summary_7d")
        performance = mart(warehouse, "model_performance")
    finally:
        warehouse.drop()
    shift = (MIGRATION["start_date"] + dt.timedelta(days=MIGRATION["shift_day"])).isoformat()
    last_before = (MIGRATION["start_date"] + dt.timedelta(days=MIGRATION["shift_day"] - 1))
    for attribute in ("sex", "age"):
        after = summary[(summary["attribute"] == attribute) & (summary["window_date"] >= shift)]
        assert len(after) == MIGRATION["days"] - MIGRATION["shift_day"]
        assert not after["passes_four_fifths_rule"].astype(bool).any(), attribute
        before = weekly[(weekly["attribute"] == attribute)
                        & (weekly["window_date"] == last_before.isoformat())]
        assert before["passes_four_fifths_rule"].astype(bool).all() and len(before) == 1
    # Day by day before the shift sex passes; age (small senior group) dips once to 0.79.
    sex_before = summary[(summary["attribute"] == "sex") & (summary["window_date"] < shift)]
    assert len(sex_before) == MIGRATION["shift_day"]
    assert sex_before["passes_four_fifths_rule"].astype(bool).all()
    expected = performance_reference(labelled_predictions(traffic), traffic.validation)
    assert_rows_close(performance, expected, KEYS, ["roc_auc", "validation_auc", "auc_gap"])
    gap_after = performance.loc[performance["window_date"] >= shift, "auc_gap"].astype(float)
    np.testing.assert_allclose(performance["validation_auc"].astype(float), validation_auc,
                               rtol=1e-12)
    assert gap_after.mean() > 0.03
