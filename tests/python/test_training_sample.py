"""The training cap (threshold training_max_rows) on DuckDB and PostgreSQL: the rows the capped
query reads are exactly those of a pandas working of the same rule (oracle_sample below: each
outcome keeps its share of the cap by largest remainders, its most recent rows first, ties by
prediction_id in byte order), at several caps and two cut-offs; without a cap, or under a cap
the known rows do not reach, every known row is read; and a mitigated candidate trained under
the cap is held out on exactly the rows of the version it answers, even after a late batch
pushes some of them out of the capped sample."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
from fractions import Fraction
from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd
import pytest
from conftest import make_config
from rawdata import dbt_build, fresh_warehouse, write_raw

from orchestration.assets.training import candidate_model
from orchestration.assets.training_data import (
    labels_as_of,
    load_training_set,
    training_examples,
)
from orchestration.model_store import ModelStore
from orchestration.resources import ModelStoreResource, WarehouseResource
from orchestration.seed_config import (
    ERR_TRAINING_MAX_ROWS,
    feature_schema,
    sensitive_features,
    training_max_rows,
)
from orchestration.warehouse import Warehouse

ROOT = Path(__file__).resolve().parents[2]
MODEL = "credit_risk"
START = dt.datetime(2030, 5, 1)
N_PREDICTIONS = 300
# The project's cap for the candidate tests: below the ~250 labelled rows of the traffic.
SEED_CAP = 120
# Three predictions share each scored_at; their ids start with C, a, b: byte order (C < a < b)
# is not a case-insensitive collation's (a < b < C), so a tie broken by the database's locale
# would show.
TIE_PREFIXES = ("b", "C", "a")
LATE_ROWS_PER_OUTCOME = 15


def capped_project(tmp_path: Path, cap: int) -> Path:
    """The dbt project (without its singular tests) with training_max_rows set to cap."""
    project = tmp_path / "project"
    project.mkdir()
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy(ROOT / name, project / name)
    for folder in ("models", "macros", "seeds", "snapshots"):
        shutil.copytree(ROOT / folder, project / folder)
    (project / "tests" / "dbt").mkdir(parents=True)
    path = project / "seeds" / "thresholds.csv"
    lines = path.read_text().splitlines()
    assert sum(line.startswith("training_max_rows,") for line in lines) == 1
    path.write_text("\n".join(
        f"training_max_rows,{cap},{line.split(',', 2)[2]}"
        if line.startswith("training_max_rows,") else line for line in lines) + "\n")
    return project


def credit_features(rng: np.random.Generator, duration: int) -> dict:
    return {"sex": str(rng.choice(["female", "male"])), "age": int(rng.integers(19, 75)),
            "job": int(rng.integers(0, 4)), "housing": str(rng.choice(["own", "rent", "free"])),
            "saving_accounts": str(rng.choice(["little", "moderate"])),
            "checking_account": str(rng.choice(["little", "moderate", "not_known"])),
            "credit_amount": round(float(rng.gamma(2.0, 1500.0)), 2), "duration": duration,
            "purpose": str(rng.choice(["car", "business", "education"]))}


def prediction(prediction_id: str, scored_at: dt.datetime, rng: np.random.Generator) -> dict:
    duration = int(rng.integers(4, 72))
    score = float(rng.random())
    return {"prediction_id": prediction_id, "model_name": MODEL, "model_version": "v0",
            "scored_at": scored_at, "features": credit_features(rng, duration), "score": score,
            "decision": "approved" if score < 0.7 else "declined", "latency_ms": 2.0}


def label(prediction_id: str, received_at: dt.datetime, outcome: str) -> dict:
    return {"feedback_id": f"f-{prediction_id}-{received_at:%Y%m%d%H%M%S}",
            "prediction_id": prediction_id, "received_at": received_at, "kind": "label",
            "outcome": outcome, "rating": None, "event": None, "comment": None}


def make_traffic(seed: int = 11) -> tuple[pd.DataFrame, pd.DataFrame]:
    """300 predictions, three to an hour; ~85 % labelled 1 to 96 hours later (about a third
    defaulted, tied to the duration), some corrected later still."""
    rng = np.random.default_rng(seed)
    predictions, feedback = [], []
    for i in range(N_PREDICTIONS):
        prediction_id = f"{TIE_PREFIXES[i % 3]}{i:04d}"
        scored_at = START + dt.timedelta(hours=i // 3)
        row = prediction(prediction_id, scored_at, rng)
        predictions.append(row)
        if rng.random() < 0.85:
            defaulted = rng.random() < 1 / (1 + np.exp(-(-1.5 + 0.04 * row["features"]
                                                                ["duration"])))
            received_at = scored_at + dt.timedelta(hours=int(rng.integers(1, 97)))
            feedback.append(label(prediction_id, received_at,
                                  "defaulted" if defaulted else "repaid"))
            if rng.random() < 0.1:  # a correction: the latest label is the one that counts
                feedback.append(label(prediction_id, received_at + dt.timedelta(hours=30),
                                      "repaid" if defaulted else "defaulted"))
    return pd.DataFrame(predictions), pd.DataFrame(feedback)


@pytest.fixture(scope="module",
                params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def capped(request, tmp_path_factory):
    """A warehouse on each engine with the traffic and int_training_examples built, its project
    capping training at SEED_CAP rows."""
    tmp_path = tmp_path_factory.mktemp(request.param)
    config, drop = make_config(request.param, tmp_path)
    config = dataclasses.replace(config, project_dir=str(capped_project(tmp_path, SEED_CAP)))
    wh = fresh_warehouse(config)
    predictions, feedback = make_traffic()
    write_raw(wh, "predictions", predictions)
    write_raw(wh, "feedback", feedback)
    target = tmp_path / "dbt_target"
    dbt_build(config, str(target), "--select", "+int_training_examples", "+int_validation_auc")
    yield wh, str(target), tmp_path
    drop()


def known_examples(wh: Warehouse, as_of: dt.datetime) -> pd.DataFrame:
    """The relation's rows, filtered in pandas to those known at as_of (scored and labelled)."""
    rows = wh.query_df("select prediction_id, model_name, outcome, scored_at, label_received_at "
                       "from intermediate.int_training_examples")
    for column in ("scored_at", "label_received_at"):
        rows[column] = pd.to_datetime(rows[column]).dt.tz_localize(None)
    known = ((rows["model_name"] == MODEL) & (rows["scored_at"] <= as_of)
             & (rows["label_received_at"] <= as_of))
    return rows[known].assign(prediction_id=rows["prediction_id"].astype(str))


def oracle_quotas(outcomes: pd.Series, cap: int) -> dict[str, int]:
    """Rows per outcome under the cap: each outcome's exact share cap × n / N, rounded down,
    then one more row for the outcomes with the largest remainders (ties: outcome in byte
    order) until the quotas add up to the cap; every row when the cap is not reached."""
    counts = outcomes.value_counts()
    if counts.sum() <= cap:
        return {str(k): int(v) for k, v in counts.items()}
    shares = {str(k): Fraction(cap * int(v), int(counts.sum())) for k, v in counts.items()}
    quotas = {k: int(share) for k, share in shares.items()}
    by_remainder = sorted(shares, key=lambda k: (-(shares[k] - quotas[k]), k.encode()))
    for outcome in by_remainder[:cap - sum(quotas.values())]:
        quotas[outcome] += 1
    return quotas


def oracle_sample(known: pd.DataFrame, cap: int | None) -> list[str]:
    """The capped sample worked in pandas: per outcome, its quota of most recent rows (scored_at
    descending, prediction_id ascending in code-point order, i.e. UTF-8 byte order)."""
    if cap is None:
        return sorted(known["prediction_id"])
    kept = []
    for outcome, quota in oracle_quotas(known["outcome"], cap).items():
        rows = known[known["outcome"] == outcome]
        order = sorted(zip(rows["scored_at"], rows["prediction_id"], strict=True),
                       key=lambda r: (-r[0].value, r[1]))
        kept += [prediction_id for _, prediction_id in order[:quota]]
    return sorted(kept)


def read_examples(wh: Warehouse, as_of: dt.datetime, cap: int | None,
                  validation_rows_of: str | None = None) -> pd.DataFrame:
    project_dir = wh.config.project_dir
    return training_examples(
        wh, MODEL, features=[r["feature_name"] for r in feature_schema(project_dir, MODEL)],
        attributes=sensitive_features(project_dir, MODEL), as_of=as_of, max_rows=cap,
        validation_rows_of=validation_rows_of)


def latest_label(wh: Warehouse) -> dt.datetime:
    return pd.Timestamp(wh.scalar("select max(label_received_at) "
                                  "from intermediate.int_training_examples")).to_pydatetime()


def test_oracle_quotas_are_hand_worked():
    # 7 defaulted, 3 repaid, cap 5: exact shares 3.5 and 1.5, whole parts 3 + 1 = 4; the
    # remainders tie (0.5), so the fifth row goes to the first outcome in byte order.
    outcomes = pd.Series(["defaulted"] * 7 + ["repaid"] * 3)
    assert oracle_quotas(outcomes, 5) == {"defaulted": 4, "repaid": 1}
    # cap 4: shares 2.8 and 1.2 → 2 + 1, the fourth row to the larger remainder (0.8).
    assert oracle_quotas(outcomes, 4) == {"defaulted": 3, "repaid": 1}
    # cap 1: shares 0.7 and 0.3 → 0 + 0, the one row to defaulted; cap 10 or more: all rows.
    assert oracle_quotas(outcomes, 1) == {"defaulted": 1, "repaid": 0}
    assert oracle_quotas(outcomes, 10) == {"defaulted": 7, "repaid": 3}


def test_capped_rows_are_the_oracles(capped):
    wh, _, _ = capped
    split_ties = 0  # caps whose last kept row shares its scored_at with a row left out
    # Two cut-offs: the latest label, and one where recent predictions await their label.
    for as_of in (latest_label(wh), START + dt.timedelta(hours=70)):
        known = known_examples(wh, as_of)
        n_known = len(known)
        assert n_known > 40
        everything = read_examples(wh, as_of, None)
        for cap in (1, 2, 3, 7, 50, *range(60, n_known, 11), n_known - 1):
            examples = read_examples(wh, as_of, cap)
            expected = oracle_sample(known, cap)
            assert sorted(examples["prediction_id"]) == expected, (as_of, cap)
            assert len(examples) == cap
            # Each outcome keeps its share of the cap, within the rounding of one row.
            shares = known["outcome"].value_counts() * cap / n_known
            counts = examples["outcome"].value_counts().reindex(shares.index, fill_value=0)
            assert (abs(counts - shares) < 1).all(), (counts, shares)
            # Within an outcome, nothing left out is more recent than what was kept.
            for _, rows in known.groupby("outcome"):
                kept = rows["prediction_id"].isin(examples.index)
                if kept.any() and (~kept).any():
                    oldest_kept = rows.loc[kept, "scored_at"].min()
                    assert oldest_kept >= rows.loc[~kept, "scored_at"].max()
                    split_ties += int(oldest_kept in set(rows.loc[~kept, "scored_at"]))
            # The capped rows are read whole: the same values as without the cap.
            pd.testing.assert_frame_equal(examples.sort_index(),
                                          everything.loc[sorted(examples.index)])
    # Some caps cut through predictions scored at the same time: the tie-break (prediction_id
    # in byte order, C... before a... before b...) decided which were kept.
    assert split_ties >= 3


def test_without_a_cap_every_known_row_is_read(capped):
    wh, _, _ = capped
    as_of = latest_label(wh)
    known = known_examples(wh, as_of)
    everything = read_examples(wh, as_of, None)
    assert sorted(everything["prediction_id"]) == oracle_sample(known, None)
    for cap in (len(known), len(known) + 1, 10**9):  # a cap the rows do not reach
        pd.testing.assert_frame_equal(read_examples(wh, as_of, cap).sort_index(),
                                      everything.sort_index())


def test_the_cap_is_read_from_the_thresholds_seed(capped, tmp_path):
    wh, _, _ = capped
    assert training_max_rows(wh.config.project_dir) == SEED_CAP
    assert training_max_rows(ROOT) == 500_000
    full, examples, as_of = load_training_set(wh, MODEL)
    assert len(full.X) == len(examples) == SEED_CAP
    assert sorted(full.X.index) == oracle_sample(known_examples(wh, as_of), SEED_CAP)
    seed = tmp_path / "seeds" / "thresholds.csv"
    seed.parent.mkdir()
    for bad in ("0", "2.5", "nan"):
        seed.write_text(f"threshold_name,threshold_value,description\n"
                        f"training_max_rows,{bad},x\n")
        with pytest.raises(ValueError) as error:
            training_max_rows(tmp_path)
        assert str(error.value) == ERR_TRAINING_MAX_ROWS.format(value=float(bad))
    seed.write_text("threshold_name,threshold_value,description\nleakage_auc_max,0.95,x\n")
    assert training_max_rows(tmp_path) is None  # no row, no cap


def registered(wh: Warehouse, version: str) -> dict:
    details = wh.scalar("select details from raw.model_registry where model_name = :m and "
                        "model_version = :v and event = 'registered'", {"m": MODEL, "v": version})
    return json.loads(details)


def test_a_mitigated_candidate_keeps_the_answered_validation_rows_under_the_cap(capped):
    wh, target, tmp_path = capped
    models = tmp_path / "models"
    resources = {"warehouse": WarehouseResource.from_config(wh.config),
                 "model_store": ModelStoreResource(root=str(models))}
    mitigated = {"ops": {"training__candidate_model": {"config": {
        "training_method": "mitigated", "answers_version": "v1"}}}}
    assert dg.materialize([candidate_model], resources=resources).success
    as_of = labels_as_of(wh, MODEL, "v1")
    n_known = len(known_examples(wh, as_of))
    store = ModelStore(models)
    naive = store.load(MODEL, "v1")
    details = registered(wh, "v1")
    assert (details["n_examples_known"], details["n_examples_read"],
            details["training_max_rows"]) == (n_known, SEED_CAP, SEED_CAP)
    assert naive.n_training_rows + len(naive.validation_prediction_ids) == SEED_CAP

    # At the same cut-off the cap reads the same rows: the mitigated v2 trains on the rows v1
    # trained on and holds out v1's.
    assert dg.materialize([candidate_model], resources=resources, run_config=mitigated).success
    answer = store.load(MODEL, "v2")
    assert answer.validation_prediction_ids == naive.validation_prediction_ids
    assert answer.n_training_rows == naive.n_training_rows
    assert registered(wh, "v2")["n_examples_read"] == SEED_CAP

    # A late batch: predictions scored just before v1's cut-off, labelled by it, arrive after
    # v1 was trained. They are the most recent rows, so the cap now keeps them and leaves out
    # the oldest of each outcome, some of which v1 held out.
    rng = np.random.default_rng(3)
    late = [prediction(f"late{k:03d}", as_of - dt.timedelta(minutes=30, seconds=k), rng)
            for k in range(2 * LATE_ROWS_PER_OUTCOME)]
    write_raw(wh, "predictions", pd.DataFrame(late))
    write_raw(wh, "feedback", pd.DataFrame([
        label(row["prediction_id"], as_of - dt.timedelta(minutes=1),
              "defaulted" if k % 2 else "repaid") for k, row in enumerate(late)]))
    # with what it reads: it is incremental on the build's snapshot and the latest labels
    dbt_build(wh.config, target, "--select", "+int_training_examples")
    held_out = set(naive.validation_prediction_ids)
    plain, _, _ = load_training_set(wh, MODEL, as_of)
    assert len(plain.X) == SEED_CAP and held_out - set(plain.X.index)  # the scenario bites
    kept, _, _ = load_training_set(wh, MODEL, as_of, validation_rows_of="v1")
    assert held_out <= set(kept.X.index)
    assert set(kept.X.index) == set(plain.X.index) | held_out

    assert dg.materialize([candidate_model], resources=resources, run_config=mitigated).success
    late_answer = store.load(MODEL, "v3")
    assert late_answer.validation_prediction_ids == naive.validation_prediction_ids
    details = registered(wh, "v3")
    assert details["n_examples_known"] == n_known + 2 * LATE_ROWS_PER_OUTCOME
    assert details["n_examples_read"] == len(kept.X) > SEED_CAP
