"""`vigie fuzz` end to end: a stored version is scored on the schema's fuzz cases
(raw.model_fuzz_scores), dbt computes marts.model_fuzz_results, and the gate's
fuzz_counterfactual check blocks a candidate that uses sex directly. The mart is compared with
a pandas oracle written here from the raw rows; the gate's verdict with the bound by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from conftest import make_config
from gate_sql import compile_gate, create_inputs, run_gate
from test_gate_marts import EVAL, gate_inputs, held_out_rows

from models_ml.credit_model import FEATURES, german_as_reference, load_german_credit
from models_ml.training import train_candidate, training_set_from_examples
from orchestration import registry
from orchestration.cli import main
from orchestration.dbt_runner import run_dbt
from orchestration.fuzz import FUZZ_MART_SELECTION, fuzz_version
from orchestration.model_store import ModelStore
from orchestration.warehouse import Warehouse, default_project_dir
from orchestration.warehouse_init import init_warehouse

ROOT = default_project_dir()
MODEL = "credit_risk"
N_RANDOM = 300
THRESHOLD = 0.35  # between the sex model's two score levels (about 0.15 and 0.6)


def trained(label_from_sex: bool):
    """LightGBM on the German features with a synthetic label: P(default) 0.6 for women and
    0.15 for men (a model that uses sex directly), or from duration alone (a fair one)."""
    features, _ = german_as_reference(load_german_credit(f"{ROOT}/seeds/german_credit.csv"))
    rng = np.random.default_rng(5)
    if label_from_sex:
        p_default = np.where(features["sex"] == "female", 0.6, 0.15)
    else:
        p_default = np.where(features["duration"] > 24, 0.5, 0.2)
    examples = features.assign(prediction_id=[f"r{i:04d}" for i in range(len(features))],
                               scored_at=pd.Timestamp("2030-01-01"),
                               is_favorable_outcome=rng.random(len(features)) >= p_default)
    model = train_candidate(training_set_from_examples(examples, feature_names=FEATURES),
                            seed=1, cost_false_approval=10, cost_false_refusal=1)
    model.decision_threshold = THRESHOLD
    return model


@pytest.fixture(scope="module",
                params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def fuzzed(request, tmp_path_factory):
    """A warehouse with v1 (fair) and v2 (uses sex) stored, fuzzed and the mart built."""
    tmp = tmp_path_factory.mktemp(f"fuzz_{request.param}")
    config, drop = make_config(request.param, tmp)
    wh = Warehouse(config, create=True)
    init_warehouse(wh)
    store = ModelStore(tmp / "models")
    with wh.connect() as conn:
        for version, stage in (("v1", "production"), ("v2", "candidate")):
            registry.record_event(conn, model_name=MODEL, model_version=version,
                                  event="registered", stage=stage)
    store.save(trained(label_from_sex=False), MODEL, "v1")
    store.save(trained(label_from_sex=True), MODEL, "v2")
    for version in ("v1", "v2"):
        fuzz_version(wh, store, MODEL, version, n_random=N_RANDOM, seed=11)
    run_dbt(["build", "--select", *FUZZ_MART_SELECTION], config,
            target_path=str(tmp / "dbt_target"), capture=True)
    yield request.param, wh, store, config, tmp
    drop()


def frame(wh: Warehouse, sql: str) -> pd.DataFrame:
    with wh.connect() as conn:
        return pd.read_sql(sa.text(sql), conn)


def oracle(raw: pd.DataFrame) -> dict[tuple[str, str, str], float]:
    """The mart's observed numbers recomputed in pandas from the raw rows (test oracle)."""
    base = raw.set_index("case_id")
    pairs = raw[raw["case_kind"].isin(["step", "counterfactual"])].copy()
    pairs["change"] = pairs["score"].to_numpy() - base.loc[pairs["base_case_id"],
                                                           "score"].to_numpy()
    pairs["flip"] = pairs["decision"].to_numpy() != base.loc[pairs["base_case_id"],
                                                             "decision"].to_numpy()
    found = {}
    for feature, rows in pairs[pairs["case_kind"] == "counterfactual"].groupby(
            "perturbed_feature"):
        found[("counterfactual_flip_rate", feature)] = rows["flip"].mean()
    steps = pairs[pairs["case_kind"] == "step"]
    for feature, rows in steps.groupby("perturbed_feature"):
        found[("score_stability", feature)] = rows["change"].abs().max()
    duration = steps[steps["perturbed_feature"] == "duration"]
    along = np.where(duration["perturbation"] == "up", 1, -1) * duration["change"]
    found[("monotone", "duration")] = float((along < 0).mean())  # declared increasing
    found[("score_in_range", "all")] = float((~raw["score"].between(0, 1)).sum())
    return found


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_the_mart_matches_the_oracle_on_the_raw_rows(fuzzed, version):
    _, wh, _, _, _ = fuzzed
    raw = frame(wh, f"select * from raw.model_fuzz_scores where model_version = '{version}'")
    mart = frame(wh, "select * from marts.model_fuzz_results "
                     f"where model_version = '{version}'")
    expected = oracle(raw)
    observed = {(r.check_name, r.attribute): r.observed for r in mart.itertuples()}
    assert set(observed) == set(expected)
    for key, value in expected.items():
        np.testing.assert_allclose(observed[key], value, rtol=1e-12, atol=1e-15, err_msg=key)
    # 300 random cases: one counterfactual each for sex, three (the other bands) for age
    counts = {(r.check_name, r.attribute): r.n_cases for r in mart.itertuples()}
    assert counts[("counterfactual_flip_rate", "sex")] == N_RANDOM
    assert counts[("counterfactual_flip_rate", "age")] == 3 * N_RANDOM
    # the flip rate has no bound by default: not judged
    assert mart.loc[mart["check_name"] == "counterfactual_flip_rate", "passed"].isna().all()


def test_the_model_that_uses_sex_flips_and_the_fair_one_does_not(fuzzed):
    _, wh, _, _, _ = fuzzed
    rates = frame(wh, "select model_version, observed from marts.model_fuzz_results "
                      "where check_name = 'counterfactual_flip_rate' and attribute = 'sex'")
    rate = dict(zip(rates["model_version"], rates["observed"], strict=True))
    assert rate["v2"] > 0.5 and rate["v1"] < 0.05, rate


def test_a_rerun_replaces_the_rows(fuzzed):
    _, wh, store, _, _ = fuzzed
    before = frame(wh, "select * from raw.model_fuzz_scores where model_version = 'v1' "
                       "order by case_id")
    fuzz_version(wh, store, MODEL, "v1", n_random=N_RANDOM, seed=11)
    after = frame(wh, "select * from raw.model_fuzz_scores where model_version = 'v1' "
                      "order by case_id")
    pd.testing.assert_frame_equal(before, after)


def test_bad_versions_are_one_line_errors(fuzzed, monkeypatch):
    target, _, _, config, tmp = fuzzed
    if target != "duckdb":
        pytest.skip("the command line's errors do not depend on the engine")
    monkeypatch.setenv("VIGIE_DUCKDB_PATH", config.duckdb_path)
    for args, message in ((["v9"], "has no registered version 'v9'"),
                          (["v1", "--model-store", str(tmp / "empty")], "has no artifact")):
        result = CliRunner().invoke(main, ["fuzz", *args, "--target", "duckdb"])
        assert result.exit_code == 1
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], result.output


def test_vigie_fuzz_prints_the_flip_rates_by_attribute(fuzzed, monkeypatch):
    target, _, _, config, tmp = fuzzed
    if target != "duckdb":
        pytest.skip("the command line is the same on every engine")
    monkeypatch.setenv("VIGIE_DUCKDB_PATH", config.duckdb_path)
    result = CliRunner().invoke(main, ["fuzz", "v2", "--cases", str(N_RANDOM), "--seed", "11",
                                       "--model-store", str(tmp / "models"),
                                       "--target", "duckdb"])
    assert result.exit_code == 0, result.output
    flips = [line for line in result.output.splitlines()
             if line.startswith("counterfactual_flip_rate")]
    assert [line.split()[1] for line in flips] == ["age", "sex"]


def fuzz_inputs(wh: Warehouse, candidate: str) -> dict[str, pd.DataFrame]:
    """The built mart as the gate harness's input: `candidate` plays v2, the fair v1 plays v1
    (the harness's evaluation is m:v2:vs:v1)."""
    mart = frame(wh, "select * from marts.model_fuzz_results "
                     f"where model_version in ('{candidate}', 'v1')")
    roles = {candidate: "v2", "v1": "v1"} if candidate != "v1" else {"v1": "v2"}
    played = pd.concat([mart[mart["model_version"] == version].assign(model_version=role)
                        for version, role in roles.items()], ignore_index=True)
    return {"marts.model_fuzz_results": played.assign(model_name="m"),
            "raw.feature_schema": pd.DataFrame({"model_name": "m",
                                                "feature_name": ["sex", "age", "amount"],
                                                "is_sensitive": [True, True, False]})}


@pytest.fixture(scope="module")
def gate_chain(fuzzed):
    target, _, _, _, tmp = fuzzed
    (tmp / "gate").mkdir(exist_ok=True)
    config, drop = make_config(target, tmp / "gate")
    compiled = compile_gate(config, tmp / "gate_target")
    engine = sa.create_engine(config.url(), poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        create_inputs(conn)
    yield engine, compiled
    engine.dispose()
    drop()


def test_the_gate_blocks_the_candidate_that_uses_sex(fuzzed, gate_chain):
    _, wh, _, _, _ = fuzzed
    engine, compiled = gate_chain
    # v1's largest flip rate is its age rate; a bound of 0.2 lets a fair model through
    inputs = {**gate_inputs(held_out_rows()), **fuzz_inputs(wh, "v2")}
    checks, gate = run_gate(engine, compiled, inputs,
                            thresholds={"fuzz_counterfactual_flip_rate_max": 0.2})
    check = checks.set_index("check_name").loc["fuzz_counterfactual"]
    assert check["is_assessable"] and not check["passed"]
    assert check["observed"] > 0.5 and check["bound"] == 0.2
    assert gate["decision"].tolist() == ["blocked"]
    assert "counterfactual flip rate" in gate["reasons"].iloc[0]
    assert checks.loc[checks["check_name"] != "fuzz_counterfactual", "passed"].all()


def test_the_gate_promotes_the_fair_candidate(fuzzed, gate_chain):
    _, wh, _, _, _ = fuzzed
    engine, compiled = gate_chain
    inputs = {**gate_inputs(held_out_rows()), **fuzz_inputs(wh, "v1")}
    checks, gate = run_gate(engine, compiled, inputs,
                            thresholds={"fuzz_counterfactual_flip_rate_max": 0.2})
    check = checks.set_index("check_name").loc["fuzz_counterfactual"]
    assert check["passed"], check["detail"]
    assert gate["decision"].tolist() == ["promoted"], gate["reasons"].tolist()


def test_switched_on_without_fuzz_results_blocks_and_off_passes(fuzzed, gate_chain):
    engine, compiled = gate_chain
    schema = fuzz_inputs(fuzzed[1], "v2")["raw.feature_schema"]
    inputs = {**gate_inputs(held_out_rows()), "raw.feature_schema": schema}
    checks, gate = run_gate(engine, compiled, inputs,
                            thresholds={"fuzz_counterfactual_flip_rate_max": 0.2})
    check = checks.set_index("check_name").loc["fuzz_counterfactual"]
    assert not check["is_assessable"] and not check["passed"]
    assert "has fuzz results for 0 of its 2 sensitive attributes" in check["detail"]
    assert gate["decision"].tolist() == ["blocked"]
    checks, gate = run_gate(engine, compiled, inputs)  # the seed's default: switched off
    check = checks.set_index("check_name").loc["fuzz_counterfactual"]
    assert check["passed"] and "switched off" in check["detail"]
    assert gate["decision"].tolist() == ["promoted"]
    assert EVAL in gate["evaluation_id"].tolist()


def test_the_simulators_v1_is_fuzzed_without_an_artifact(tmp_path, monkeypatch):
    """The simulator serves v1 without storing it: `vigie fuzz v1` refits it from the seed its
    registration keeps, and the scores are those of the simulator's own fit."""
    from test_cli_build_sequence import vigie

    from models_ml.credit_model import fit_reference_model
    from orchestration.warehouse import WarehouseConfig

    config = WarehouseConfig.from_env(target="duckdb", duckdb_path=str(tmp_path / "w.duckdb"))
    for args in (("init",), ("simulate", "--days", "1", "--per-day", "20", "--seed", "5",
                             "--scenario", "clean"),
                 ("fuzz", "v1", "--cases", "40", "--model-store", str(tmp_path / "empty"))):
        done = vigie(config, tmp_path, *args)
        assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-2000:])
    assert "refitted from its registered seed 5" in done.stderr
    lines = done.stdout.splitlines()
    assert [line.split()[1] for line in lines if line.startswith("counterfactual_flip_rate")] \
        == ["age", "sex"]
    rows = Warehouse(config).query_df("select cast(features as varchar) as features, score "
                                      "from raw.model_fuzz_scores order by case_id")
    served = fit_reference_model(load_german_credit(f"{ROOT}/seeds/german_credit.csv"), seed=5)
    cases = pd.DataFrame([pd.read_json(pd.io.common.StringIO(f), typ="series")
                          for f in rows["features"]])
    expected = served.predict_default_probability(cases)
    np.testing.assert_allclose(rows["score"].to_numpy(dtype=float), expected, rtol=0, atol=1e-12)
