"""intermediate.int_training_examples built by dbt on DuckDB and PostgreSQL, compared with an
independent pandas construction from the raw rows (tests/python/training_examples_oracle.py),
with odd feature names (quotes, unicode, spaces); the latest label hand-worked on a few
predictions; the candidate trained from it twice (same seed, same model); and the validation
AUC of marts.model_versions against sklearn.metrics.roc_auc_score on the written scores."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd
import pytest
from rawdata import dbt_build, fresh_warehouse, write_raw
from sklearn.metrics import roc_auc_score
from training_examples_oracle import BAND_SUFFIX, training_examples

from orchestration.assets.training import candidate_model
from orchestration.assets.training_data import load_training_set
from orchestration.dbt_runner import run_dbt
from orchestration.model_store import ModelStore
from orchestration.resources import ModelStoreResource, WarehouseResource
from orchestration.warehouse import Warehouse, WarehouseConfig

ROOT = Path(__file__).resolve().parents[2]
ODD_MODEL = "odd_model"
QUOTED = 'it\'s "q"'  # a quote of each kind
UNICODE_AGE = "âge"
SPACED = "Größe m²"
# A second model whose features have odd names (two of them sensitive, with their own bands).
ODD_SCHEMA = [
    f'{ODD_MODEL},"{QUOTED.replace(chr(34), chr(34) * 2)}",categorical,,,x|y,true,true,auto,',
    f"{ODD_MODEL},{UNICODE_AGE},integer,0,120,,true,true,auto,",
    f"{ODD_MODEL},{SPACED},numeric,0,10,,true,false,,",
    f"{ODD_MODEL},sex,categorical,,,female|male,true,false,auto,",
]
ODD_BANDS = [f'"{QUOTED.replace(chr(34), chr(34) * 2)}",grp_x,,,x',
             f'"{QUOTED.replace(chr(34), chr(34) * 2)}",grp_y,,,y',
             f"{UNICODE_AGE},young,0,30,", f"{UNICODE_AGE},old,30,,"]
ODD_OUTCOMES = [f"{ODD_MODEL},decision,yes,true", f"{ODD_MODEL},decision,no,false",
                f"{ODD_MODEL},outcome,good,true", f"{ODD_MODEL},outcome,bad,false"]
START = dt.datetime(2030, 1, 1)


def copy_project(tmp_path: Path, extra: dict[str, list[str]]) -> Path:
    """The dbt project (without its singular tests) with lines appended to some seeds."""
    project = tmp_path / "project"
    project.mkdir()
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy(ROOT / name, project / name)
    for folder in ("models", "macros", "seeds", "snapshots"):
        shutil.copytree(ROOT / folder, project / folder)
    (project / "tests" / "dbt").mkdir(parents=True)
    for seed, lines in extra.items():
        path = project / "seeds" / f"{seed}.csv"
        text = path.read_text()
        path.write_text(text + ("" if text.endswith("\n") else "\n") + "\n".join(lines) + "\n")
    return project


def seed_frame(project: Path, name: str) -> pd.DataFrame:
    frame = pd.read_csv(project / "seeds" / f"{name}.csv", keep_default_na=False,
                        na_values=[""])
    for column in ("is_sensitive", "is_favorable"):
        if column in frame:
            frame[column] = frame[column].astype(str).str.lower() == "true"
    return frame


def credit_features(rng: np.random.Generator, duration: int) -> dict:
    """The nine credit features; sex and age may be missing, JSON null or of the wrong type."""
    features = {
        "sex": rng.choice(["female", "male", None, "<absent>", 7], p=[.4, .4, .06, .07, .07]),
        "age": (int(rng.integers(19, 75)) if rng.random() < 0.85 else
                rng.choice([None, "<absent>", "forty", 24.5, 60])),
        "job": int(rng.integers(0, 4)), "housing": str(rng.choice(["own", "rent", "free"])),
        "saving_accounts": rng.choice(["little", "moderate", None]),
        "checking_account": str(rng.choice(["little", "moderate", "not_known"])),
        "credit_amount": round(float(rng.gamma(2.0, 1500.0)), 2), "duration": duration,
        "purpose": str(rng.choice(["car", "business", "education"])),
    }
    return {k: (v.item() if isinstance(v, np.generic) else v) for k, v in features.items()
            if not (isinstance(v, str) and v == "<absent>")}


def make_traffic(n_credit: int = 420, n_odd: int = 40, seed: int = 5):
    """Predictions of both models and their feedback: most have one label, some a correction
    or two, some a rating only, some nothing; plus four hand-worked predictions (hw-*)."""
    rng = np.random.default_rng(seed)
    predictions, feedback = [], []

    def add_feedback(prediction_id, received_at, kind, outcome=None, rating=None):
        feedback.append({"feedback_id": f"f{len(feedback):06d}", "prediction_id": prediction_id,
                         "received_at": received_at, "kind": kind, "outcome": outcome,
                         "rating": rating})

    for i in range(n_credit):
        duration = int(rng.integers(4, 72))
        scored_at = START + dt.timedelta(minutes=13 * i)
        score = float(rng.random())
        predictions.append({"prediction_id": f"c{i:05d}", "model_name": "credit_risk",
                            "model_version": "v1", "scored_at": scored_at,
                            "features": credit_features(rng, duration), "score": score,
                            "decision": "approved" if score < 0.7 else "declined",
                            "latency_ms": 3.0})
        defaulted = rng.random() < 1 / (1 + np.exp(-(-2.5 + 0.05 * duration)))
        outcome = "defaulted" if defaulted else "repaid"
        draw = rng.random()
        if draw < 0.8:
            add_feedback(f"c{i:05d}", scored_at + dt.timedelta(days=3), "label", outcome)
        if draw < 0.15:  # a correction later (the latest wins)
            add_feedback(f"c{i:05d}", scored_at + dt.timedelta(days=5), "label",
                         "repaid" if defaulted else "defaulted")
        if 0.9 < draw:
            add_feedback(f"c{i:05d}", scored_at + dt.timedelta(days=2), "rating", rating=4)
    for i in range(n_odd):
        scored_at = START + dt.timedelta(hours=i)
        features = {QUOTED: str(rng.choice(["x", "y", "z"])),
                    UNICODE_AGE: int(rng.integers(18, 60)), SPACED: float(rng.random() * 10),
                    "sex": str(rng.choice(["female", "male"]))}
        if i % 7 == 0:
            del features[QUOTED]
        if i % 5 == 0:
            features[UNICODE_AGE] = None
        predictions.append({"prediction_id": f"o{i:05d}", "model_name": ODD_MODEL,
                            "model_version": "v1", "scored_at": scored_at, "features": features,
                            "score": 0.5, "decision": str(rng.choice(["yes", "no"])),
                            "latency_ms": 1.0})
        add_feedback(f"o{i:05d}", scored_at + dt.timedelta(days=1), "label",
                     str(rng.choice(["good", "bad"])))
    hand = {"sex": "female", "age": 30, "job": 1, "housing": "own", "saving_accounts": "little",
            "checking_account": "little", "credit_amount": 1000.0, "duration": 12,
            "purpose": "car"}
    for k in range(1, 5):
        predictions.append({"prediction_id": f"hw-{k}", "model_name": "credit_risk",
                            "model_version": "v1", "scored_at": START, "features": hand,
                            "score": 0.2, "decision": "approved", "latency_ms": 1.0})
    day = START.date()
    at = {d: dt.datetime.combine(day + dt.timedelta(days=d), dt.time()) for d in (4, 5, 6, 7)}
    feedback += [  # hand-worked: see test_latest_label_is_hand_worked
        {"feedback_id": "hw1a", "prediction_id": "hw-1", "received_at": at[5], "kind": "label",
         "outcome": "repaid"},
        {"feedback_id": "hw1b", "prediction_id": "hw-1", "received_at": at[7], "kind": "label",
         "outcome": "defaulted"},
        {"feedback_id": "hw1c", "prediction_id": "hw-1", "received_at": at[6], "kind": "label",
         "outcome": "repaid"},
        {"feedback_id": "hw2a", "prediction_id": "hw-2", "received_at": at[5], "kind": "label",
         "outcome": "defaulted"},
        {"feedback_id": "hw2b", "prediction_id": "hw-2", "received_at": at[5], "kind": "label",
         "outcome": "repaid"},
        {"feedback_id": "hw3a", "prediction_id": "hw-3", "received_at": at[4], "kind": "label",
         "outcome": "repaid"},
        {"feedback_id": "hw3b", "prediction_id": "hw-3", "received_at": at[6], "kind": "rating",
         "rating": 2},
        {"feedback_id": "hw3c", "prediction_id": "hw-3", "received_at": at[7], "kind": "label",
         "outcome": None},
        {"feedback_id": "hw4a", "prediction_id": "hw-4", "received_at": at[4], "kind": "rating",
         "rating": 5},
    ]
    return pd.DataFrame(predictions), pd.DataFrame(feedback)


@pytest.fixture(scope="module")
def traffic():
    return make_traffic()


@pytest.fixture
def built(warehouse_config, tmp_path, dbt_target_path, traffic):
    """The traffic written to raw, on a copy of the project with the odd model configured, and
    int_training_examples built."""
    project = copy_project(tmp_path, {"feature_schema": ODD_SCHEMA,
                                      "sensitive_groups": ODD_BANDS, "outcomes": ODD_OUTCOMES})
    config = dataclasses.replace(warehouse_config, project_dir=str(project))
    wh = fresh_warehouse(config)
    predictions, feedback = traffic
    write_raw(wh, "predictions", predictions)
    write_raw(wh, "feedback", feedback.assign(event=None, comment=None))
    dbt_build(config, dbt_target_path, "--select", "+int_training_examples",
              "+int_validation_auc")
    return config, project, wh


def normalised(frame: pd.DataFrame) -> pd.DataFrame:
    """Frame values as comparable Python objects: None for every kind of missing value."""
    out = frame.astype(object).where(frame.notna(), None)
    for column in ("scored_at", "label_received_at"):
        out[column] = pd.to_datetime(out[column]).dt.tz_localize(None)
    out["window_date"] = pd.to_datetime(out["window_date"]).dt.date
    return out


def test_wide_relation_equals_the_pandas_construction(built, traffic):
    config, project, wh = built
    # window_state is the incremental build's bookkeeping (vigie.window_state_ctes), not data
    ours = wh.query_df("select * from intermediate.int_training_examples").drop(
        columns=["window_state"])
    expected = training_examples(*traffic, seed_frame(project, "feature_schema"),
                                 seed_frame(project, "sensitive_groups"),
                                 seed_frame(project, "outcomes"))
    # The columns, in order: fixed, then the features and the bands sorted by name.
    assert list(ours.columns) == list(expected.columns)
    assert QUOTED in ours.columns and f"{UNICODE_AGE}{BAND_SUFFIX}" in ours.columns
    ours = normalised(ours.sort_values("prediction_id").reset_index(drop=True))
    expected = normalised(expected)
    assert ours["prediction_id"].tolist() == expected["prediction_id"].tolist()
    numeric = ["score", "age", "credit_amount", "duration", "job", UNICODE_AGE, SPACED]
    for column in expected.columns:
        if column in numeric:
            np.testing.assert_allclose(ours[column].astype(float), expected[column].astype(float),
                                       rtol=1e-12, err_msg=column)
        else:
            assert ours[column].tolist() == expected[column].tolist(), column
    # Missing values are banded 'unknown', as in int_prediction_groups, never "missing".
    bands = ours.loc[ours["model_name"] == "credit_risk", ["sex__group", "age__group"]]
    assert set(bands["sex__group"]) == {"female", "male", "unknown"}
    assert "unknown" in set(bands["age__group"]) and not bands.isna().any().any()
    odd = ours[ours["model_name"] == ODD_MODEL]
    assert set(odd[f"{QUOTED}{BAND_SUFFIX}"]) == {"grp_x", "grp_y", "unknown"}
    assert odd["age__group"].isna().all()  # not an attribute of that model


def test_latest_label_is_hand_worked(built):
    _, _, wh = built
    rows = wh.query_df("select prediction_id, outcome, label_received_at, is_favorable_outcome "
                       "from intermediate.int_training_examples where prediction_id like 'hw-%' "
                       "order by prediction_id").set_index("prediction_id")
    # hw-1: labels on day 5 (repaid), 7 (defaulted), 6 (repaid): the day-7 one is the latest.
    # hw-2: two labels on day 5: the greater feedback_id (hw2b, repaid) breaks the tie.
    # hw-3: a label on day 4; a later rating and a later label without outcome do not count.
    # hw-4: a rating only: not a labelled prediction.
    assert rows.index.tolist() == ["hw-1", "hw-2", "hw-3"]
    assert rows["outcome"].tolist() == ["defaulted", "repaid", "repaid"]
    assert [pd.Timestamp(t).day for t in rows["label_received_at"]] == [8, 6, 5]
    assert rows["is_favorable_outcome"].astype(bool).tolist() == [False, True, True]


def test_training_is_reproducible_and_validation_auc_is_sql(built, tmp_path, dbt_target_path,
                                                           traffic):
    config, project, wh = built
    resources = {"warehouse": WarehouseResource.from_config(config),
                 "model_store": ModelStoreResource(root=str(tmp_path / "models"))}
    for _ in range(2):  # v1 and v2: same rows, same seed
        assert dg.materialize([candidate_model], resources=resources).success
    store = ModelStore(tmp_path / "models")
    first, second = store.load("credit_risk", "v1"), store.load("credit_risk", "v2")
    assert first.booster.model_to_string() == second.booster.model_to_string()
    assert first.validation_prediction_ids == second.validation_prediction_ids
    assert first.dataset_hash == second.dataset_hash
    # The training rows are the labelled credit examples, read back from the relation.
    full, examples, _ = load_training_set(wh, "credit_risk")
    assert first.n_training_rows + len(first.validation_prediction_ids) == len(full.X) == len(
        examples)
    assert set(first.validation_prediction_ids) <= set(full.X.index)
    # ...with the values the pandas construction gives (the labelled credit predictions).
    expected = training_examples(*traffic, seed_frame(project, "feature_schema"),
                                 seed_frame(project, "sensitive_groups"),
                                 seed_frame(project, "outcomes"))
    expected = expected[expected["model_name"] == "credit_risk"].set_index("prediction_id")
    assert full.X.index.tolist() == sorted(expected.index)
    for column in full.X.columns:
        values, reference = full.X[column], expected.loc[full.X.index, column]
        assert values.isna().tolist() == reference.isna().tolist(), column
        if pd.api.types.is_numeric_dtype(values.dtype):
            np.testing.assert_allclose(values.astype(float), reference.astype(float),
                                       rtol=1e-12, err_msg=column)
        else:
            assert values.dropna().tolist() == reference.dropna().tolist(), column
    np.testing.assert_array_equal(full.y_default,
                                  (~expected.loc[full.X.index, "is_favorable_outcome"].astype(
                                      bool)).astype(int).to_numpy())

    dbt_build(config, dbt_target_path, "--select", "+model_versions")
    scores = wh.query_df("select model_version, row_id, score, outcome from raw.validation_scores")
    versions = wh.query_df("select model_version, validation_auc from marts.model_versions")
    assert set(versions["model_version"]) == {"v1", "v2"}
    for row in versions.itertuples():
        rows = scores[scores["model_version"] == row.model_version]
        assert sorted(rows["row_id"]) == sorted(first.validation_prediction_ids)
        expected = roc_auc_score(rows["outcome"] == "defaulted", rows["score"])
        np.testing.assert_allclose(row.validation_auc, expected, rtol=1e-12)
    # The registry's copy (for display) is read back from dbt's definition, not recomputed.
    registered = wh.query_df("select model_version, validation_auc from raw.model_registry")
    merged = registered.merge(versions, on="model_version", suffixes=("_registry", "_mart"))
    assert len(merged) == 2
    np.testing.assert_array_equal(merged["validation_auc_registry"].astype(float),
                                  merged["validation_auc_mart"].astype(float))


def test_layout_comes_from_the_seed_at_compile_time(tmp_path, dbt_target_path):
    """Before the seed exists the layout is empty and the model still compiles; a feature whose
    name collides with a column (case-insensitively) is a compile error naming it."""
    project = copy_project(tmp_path,
                           {"feature_schema": ["other,Score,numeric,0,1,,true,false,auto,"]})
    config = WarehouseConfig.from_env(target="duckdb", duckdb_path=str(tmp_path / "v.duckdb"),
                                      project_dir=str(project))
    fresh_warehouse(config)
    compiled = run_dbt(["compile", "--select", "int_training_examples"], config,
                       target_path=dbt_target_path, capture=True, check=False)
    assert compiled.returncode == 0, compiled.stdout[-3000:]
    sql = next(Path(dbt_target_path).rglob("int_training_examples.sql")).read_text()
    assert '"duration"' not in sql and "features_wide" in sql
    run_dbt(["seed", "--select", "feature_schema"], config, target_path=dbt_target_path,
            capture=True)
    failed = run_dbt(["compile", "--select", "int_training_examples"], config,
                     target_path=dbt_target_path, capture=True, check=False)
    assert failed.returncode != 0
    assert "two columns the same name (case-insensitively): score and Score" in failed.stdout
    Warehouse(config)  # the warehouse is still usable
