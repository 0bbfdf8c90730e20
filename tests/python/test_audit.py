"""`vigie audit`'s pure parts (models_ml/audit.py, the printing in orchestration/audit.py), and
an audit of two small files on DuckDB with hand-worked numbers: schema changes, nulls,
representation, bad input as one line."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from conftest import make_config
from scipy import stats
from test_cli_build_sequence import vigie

from models_ml.audit import (
    ERR_DUPLICATE_ROW_ID,
    ERR_RANGE,
    ERR_RANGE_ORDER,
    ERR_TABLE,
    audit_rows,
    column_values,
    pairwise_tests,
    parse_dataset_spec,
)
from orchestration.audit import ERR_FAIL_ON, FINDING_KINDS, AuditResult, parse_fail_on
from orchestration.warehouse import Warehouse


def test_parse_dataset_spec_kinds():
    spec = parse_dataset_spec("predictions:2026-01-01..2026-01-30")
    assert (spec.kind, spec.date_from, spec.date_to) == (
        "predictions", dt.date(2026, 1, 1), dt.date(2026, 1, 30))
    assert parse_dataset_spec("table:raw.extract").table == "raw.extract"
    assert parse_dataset_spec("reference").model_version is None
    assert parse_dataset_spec("reference:v2").model_version == "v2"
    assert parse_dataset_spec("data/after.csv").path == "data/after.csv"


@pytest.mark.parametrize(("text", "message"), [
    ("predictions:2026-01-01", ERR_RANGE.format(value="2026-01-01")),
    ("predictions:2026-13-01..2026-01-30", ERR_RANGE.format(value="2026-13-01..2026-01-30")),
    ("predictions:2026-02-01..2026-01-30", ERR_RANGE_ORDER.format(value="2026-02-01..2026-01-30")),
    ("table:extract; drop table raw.predictions", ERR_TABLE.format(
        value="extract; drop table raw.predictions")),
])
def test_parse_dataset_spec_errors_name_the_bad_part(text, message):
    with pytest.raises(ValueError) as error:
        parse_dataset_spec(text)
    assert str(error.value) == message


def test_audit_rows_json_row_ids_and_outcomes():
    frame = pd.DataFrame({"age": [30, 61], "sex": ["female", None],
                          "amount": [1.5, np.nan], "outcome": ["repaid", None]})
    rows = audit_rows(frame, audit_id="a", dataset="candidate")
    assert list(rows["row_id"]) == ["1", "2"]
    assert [json.loads(f) for f in rows["features"]] == [
        {"age": 30, "sex": "female", "amount": 1.5},
        {"age": 61, "sex": None, "amount": None}]
    assert list(rows["outcome"]) == ["repaid", None]
    frame = frame.assign(row_id=["x", "x"])
    with pytest.raises(ValueError) as error:
        audit_rows(frame, audit_id="a", dataset="baseline")
    assert str(error.value) == ERR_DUPLICATE_ROW_ID.format(dataset="baseline", row_id="x")


def test_pairwise_tests_hand_worked_ks_and_skips():
    # KS of [0] against [1] is 1.0 (the empirical CDFs never overlap); a column of strings
    # against one of numbers has neither test; nulls and booleans are left out.
    tests = pairwise_tests({"a": [0, None, True]}, {"b": [1], "c": ["x"]}, audit_id="t")
    assert list(tests[["baseline_column", "candidate_column", "test_name"]].itertuples(
        index=False, name=None)) == [("a", "b", "ks")]
    assert tests.loc[0, "statistic"] == 1.0 and tests.loc[0, "n_baseline"] == 1


def test_pairwise_tests_equal_scipy_on_random_data():
    rng = np.random.default_rng(3)
    ref, cur = rng.normal(0, 1, 400), rng.normal(0.2, 1.1, 300)
    cats_ref = rng.choice(["a", "b", "c"], 500, p=[0.5, 0.3, 0.2]).tolist()
    cats_cur = rng.choice(["a", "b", "c", "d"], 200, p=[0.4, 0.3, 0.2, 0.1]).tolist()
    tests = pairwise_tests({"x": ref.tolist(), "k": cats_ref},
                           {"x": cur.tolist(), "k": cats_cur}, audit_id="t").set_index(
        ["baseline_column", "candidate_column", "test_name"])
    ks = stats.ks_2samp(ref, cur)
    np.testing.assert_allclose(tests.loc[("x", "x", "ks"), ["statistic", "pvalue"]],
                               [ks.statistic, ks.pvalue], rtol=1e-12)
    table = pd.crosstab(np.r_[["r"] * 500, ["c"] * 200], np.r_[cats_ref, cats_cur]).to_numpy()
    chi = stats.chi2_contingency(table, correction=False)
    v = np.sqrt(chi.statistic / table.sum())  # Cramér's V of a 2 × k table
    np.testing.assert_allclose(
        tests.loc[("k", "k", "chi_square"), ["statistic", "pvalue", "effect_size"]],
        [chi.statistic, chi.pvalue, v], rtol=1e-12)
    assert ("x", "k", "ks") not in tests.index


def test_column_values_leaves_out_row_id_and_outcome():
    frame = pd.DataFrame({"row_id": ["1"], "outcome": ["repaid"], "age": [np.int64(40)]})
    values = column_values(frame)
    assert values == {"age": [40]} and type(values["age"][0]) is int


def test_parse_fail_on():
    assert parse_fail_on(None) == ()
    assert parse_fail_on("all") == FINDING_KINDS
    assert parse_fail_on("schema, labels") == ("schema", "labels")
    with pytest.raises(ValueError) as error:
        parse_fail_on("schema,typo")
    assert str(error.value) == ERR_FAIL_ON.format(allowed=", ".join(FINDING_KINDS),
                                                  value="typo")


def test_failing_counts_not_assessable_checks():
    findings = pd.DataFrame({"finding_kind": ["schema", "labels", "drift"],
                             "passed": [True, False, False],
                             "is_assessable": [True, False, True]})
    result = AuditResult("a", findings)
    assert list(result.failing()["finding_kind"]) == ["labels", "drift"]
    assert list(result.failing(("labels",))["finding_kind"]) == ["labels"]


@pytest.fixture(scope="module")
def file_audit(tmp_path_factory):
    """Two hand-made CSV files audited on a fresh DuckDB warehouse (no build needed)."""
    tmp = tmp_path_factory.mktemp("audit-files")
    config, _ = make_config("duckdb", tmp)
    n = 200
    rng = np.random.default_rng(11)
    levels = ["little", "moderate", "rich", "not_known"]
    # baseline: 100 women, 100 men; every other row labelled, a woman's label defaulted 1 in 4
    baseline = pd.DataFrame({
        "row_id": [f"b{i}" for i in range(n)],
        "sex": ["female"] * 100 + ["male"] * 100,
        "age": np.tile([30, 45, 65, 22], n // 4),
        "checking_account": np.tile(levels, n // 4),
        "amount": rng.normal(1000, 100, n).round(2),
        "code": np.arange(n),
        "outcome": np.tile(["repaid", None, "defaulted", None, "repaid", None, "repaid", None],
                           n // 8)})
    # candidate: 40 women, 160 men; checking_account renamed with the same values; `code` now
    # text; `amount` null in 60 rows; a new column `channel`
    candidate = pd.DataFrame({
        "row_id": [f"c{i}" for i in range(n)],
        "sex": ["female"] * 40 + ["male"] * 160,
        "age": np.tile([30, 45, 65, 22], n // 4),
        "checking_status": np.tile(levels, n // 4),
        "amount": np.r_[[np.nan] * 60, rng.normal(1000, 100, n - 60).round(2)],
        "code": [f"k{i}" for i in range(n)],
        "channel": np.tile(["web", "app"], n // 2),
        "outcome": baseline["outcome"]})
    baseline.to_csv(tmp / "before.csv", index=False)
    candidate.to_csv(tmp / "after.csv", index=False)
    assert vigie(config, tmp, "init").returncode == 0
    done = vigie(config, tmp, "audit", "--baseline", str(tmp / "before.csv"), "--candidate",
                 str(tmp / "after.csv"), "--audit-id", "files", "--fail-on", "schema")
    return Warehouse(config), config, tmp, done


def test_file_audit_schema_nulls_and_shares_by_hand(file_audit):
    warehouse, _, _, done = file_audit
    assert done.returncode == 1, (done.stdout[-3000:], done.stderr[-3000:])
    changes = warehouse.query_df("select column_name, schema_change, renamed_to "
                                 "from marts.audit_schema_changes where audit_id = 'files'"
                                 ).set_index("column_name")
    assert changes.loc["checking_account", "renamed_to"] == "checking_status"
    assert changes.loc["code", "schema_change"] == "type_changed"
    assert changes.loc["channel", "schema_change"] == "new"
    assert changes.loc["sex", "schema_change"] == "unchanged"
    profiles = warehouse.query_df("select * from marts.audit_feature_profiles "
                                  "where audit_id = 'files'").set_index("column_name")
    # amount: 0 / 200 null before, 60 / 200 after
    assert profiles.loc["amount", "null_rate_candidate"] == pytest.approx(0.3)
    assert bool(profiles.loc["amount", "is_null_rise"])
    shares = warehouse.query_df("select * from marts.audit_representation "
                                "where audit_id = 'files'").set_index(["attribute",
                                                                       "group_name"])
    female = shares.loc[("sex", "female")]
    # 100 / 200 → 40 / 200: ratio 0.4
    assert (female["share_baseline"], female["share_candidate"]) == (0.5, 0.2)
    assert female["share_ratio"] == pytest.approx(0.4) and bool(female["is_under_represented"])
    # half the rows of each group labelled on both sides: the label rate does not move
    assert female["label_rate_baseline"] == pytest.approx(0.5)
    assert not bool(female["is_label_rate_lower"])
    assert "checking_account: renamed (renamed to checking_status" in done.stdout
    assert "FAILED on schema" in done.stderr


def test_bad_input_is_one_line(file_audit):
    _, config, tmp, _ = file_audit
    for args, message in (
            (("--baseline", str(tmp / "missing.csv"), "--candidate", str(tmp / "after.csv")),
             "no such file"),
            (("--baseline", "predictions:2026-02-01..2026-01-01", "--candidate",
              str(tmp / "after.csv")), "the range starts after it ends"),
            (("--baseline", str(tmp / "before.csv"), "--candidate", str(tmp / "after.csv"),
              "--fail-on", "everything"), "--fail-on takes"),
            (("--baseline", str(tmp / "before.csv"), "--candidate", str(tmp / "after.csv"),
              "--audit-id", "files"), "already exists"),
            (("--baseline", "predictions:2026-01-01..2026-01-02", "--candidate",
              str(tmp / "after.csv")), "run `vigie build` first")):
        done = vigie(config, tmp, "audit", *args)
        assert done.returncode == 1, (args, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], (args, done.stderr)


def test_pairwise_tests_pairs_shared_columns_and_gone_against_new():
    # a and b on both sides: a-a, b-b; gone g against new n only, never a-b or a-n
    tests = pairwise_tests({"a": [1.0], "b": [2.0], "g": [3.0]},
                           {"a": [1.0], "b": [2.0], "n": [3.0]}, audit_id="t")
    assert sorted(zip(tests["baseline_column"], tests["candidate_column"], strict=True)) == [
        ("a", "a"), ("b", "b"), ("g", "n")]


def test_report_section_shows_the_latest_audit_failures():
    from orchestration.report.audit import audit_body

    findings = pd.DataFrame({
        "audit_id": ["old", "new", "new"],
        "audited_at": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-02-01"]),
        "finding_kind": ["schema", "schema", "representation"],
        "subject": ["gone_in_old", "kept", "sex=female"], "check_name": ["column", "column",
                                                                          "share"],
        "finding": ["gone", "unchanged", "under_represented"],
        "detail": ["was string", "string", "share of rows"],
        "baseline_value": [None, None, 0.31], "candidate_value": [None, None, 0.14],
        "observed_value": [None, None, 0.45], "bound": [None, None, 0.8],
        "is_assessable": [True, True, True], "passed": [False, True, False]})
    body = audit_body(findings)
    assert "<code>new</code>" in body and "2 checks, 1 not passed" in body
    assert "sex=female" in body and "gone_in_old" not in body and "kept" not in body
