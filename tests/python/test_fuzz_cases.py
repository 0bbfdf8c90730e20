"""The fuzz case generator (models_ml/fuzz.py): every case stays inside the schema, and the
extremes, bands and counterfactuals are the hand-worked ones."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models_ml import fuzz
from orchestration.seed_config import feature_schema, read_seed
from orchestration.warehouse import default_project_dir

ROOT = default_project_dir()
AGE_BANDS = [("under_25", 0.0, 25.0), ("25_39", 25.0, 40.0), ("40_59", 40.0, 60.0),
             ("60_and_over", 60.0, None)]


def spec(name="x", kind="integer", low=1.0, high=120.0, allowed=(), nullable=False,
         sensitive=False, monotone=None) -> fuzz.FeatureSpec:
    return fuzz.FeatureSpec(name, kind, low, high, tuple(allowed), nullable, sensitive, monotone)


def test_extremes_of_an_integer_range_by_hand():
    # duration 1..120, 1 % of the range is 1.19: a step of 1 month
    assert fuzz.extreme_values(spec(), 0.01) == [("min", 1), ("above_min", 2),
                                                 ("below_max", 119), ("max", 120)]


def test_extremes_of_a_numeric_nullable_range_by_hand():
    # credit_amount 0..100000: a step of 1000
    found = fuzz.extreme_values(spec(kind="numeric", low=0, high=100_000, nullable=True), 0.01)
    assert found == [("min", 0.0), ("above_min", 1000.0), ("below_max", 99_000.0),
                     ("max", 100_000.0), ("null", None)]


def test_every_category_is_an_extreme():
    found = fuzz.extreme_values(spec(kind="categorical", low=None, high=None,
                                     allowed=("free", "own", "rent")), 0.01)
    assert [v for _, v in found] == ["free", "own", "rent"]


def test_age_band_representatives_by_hand():
    # age 18..100: under_25 → 18..24 → 21; 25..39 → 32; 40..59 → 49 (49.5 rounded down);
    # 60_and_over → 60..100 → 80
    age = spec("age", low=18, high=100, sensitive=True)
    assert [(b, v) for b, _, _, v in fuzz.band_values(age, AGE_BANDS)] == [
        ("under_25", 21), ("25_39", 32), ("40_59", 49), ("60_and_over", 80)]
    assert fuzz.counterfactual_values(age, 30, AGE_BANDS) == [
        ("band=under_25", 21), ("band=40_59", 49), ("band=60_and_over", 80)]
    sex = spec("sex", kind="categorical", low=None, high=None, allowed=("female", "male"))
    assert fuzz.counterfactual_values(sex, "male", []) == [("category=female", "female")]


def test_the_seed_schema_and_bands_read_as_specs():
    specs = fuzz.feature_specs(feature_schema(ROOT, "credit_risk"))
    by_name = {s.name: s for s in specs}
    assert by_name["duration"].monotone == "increasing"
    assert {s.name for s in specs if s.is_sensitive} == {"sex", "age"}
    assert fuzz.sensitive_bands(read_seed(ROOT, "sensitive_groups"))["age"] == AGE_BANDS


@pytest.mark.parametrize("row, message", [
    ({"feature_type": "text"}, "not one of"),
    ({"min_value": "5", "max_value": "1"}, "min_value <= max_value"),
    ({"feature_type": "categorical", "allowed_values": ""}, "no allowed_values"),
    ({"monotone": "up"}, "monotone 'up'"),
    ({"feature_type": "categorical", "allowed_values": "a|b", "monotone": "increasing"},
     "cannot be monotone"),
])
def test_bad_schema_rows_are_refused_naming_the_feature(row, message):
    base = {"feature_name": "f", "feature_type": "integer", "min_value": "0", "max_value": "9",
            "allowed_values": "", "is_nullable": "false", "is_sensitive": "false"}
    with pytest.raises(ValueError, match=message) as error:
        fuzz.feature_specs([{**base, **row}])
    assert "'f'" in str(error.value)


def test_the_same_seed_gives_the_same_cases():
    specs = fuzz.feature_specs(feature_schema(ROOT, "credit_risk"))
    first = fuzz.fuzz_cases(specs, bands={"age": AGE_BANDS}, n_random=50, seed=3)
    again = fuzz.fuzz_cases(specs, bands={"age": AGE_BANDS}, n_random=50, seed=3)
    assert first.equals(again) and first["case_id"].is_unique


@st.composite
def schemas(draw) -> list[fuzz.FeatureSpec]:
    specs = []
    for i in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(fuzz.FEATURE_TYPES))
        nullable, sensitive = draw(st.booleans()), draw(st.booleans())
        if kind == "categorical":
            allowed = draw(st.lists(st.text("abcxyz ", min_size=1, max_size=4), min_size=1,
                                    max_size=5, unique=True))
            specs.append(spec(f"f{i}", kind, None, None, allowed, nullable, sensitive))
            continue
        low = draw(st.integers(-1000, 1000)) if kind == "integer" else draw(
            st.floats(-1e6, 1e6, allow_nan=False))
        width = draw(st.integers(0, 5000)) if kind == "integer" else draw(
            st.floats(0, 1e6, allow_nan=False))
        specs.append(spec(f"f{i}", kind, float(low), float(low + width), (), nullable,
                          sensitive))
    return specs


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(specs=schemas(), seed=st.integers(0, 2**16), step=st.floats(0.001, 0.2))
def test_every_case_is_inside_the_schema(specs, seed, step):
    bands = {s.name: [("low", None, (s.min_value + s.max_value) / 2),
                      ("high", (s.min_value + s.max_value) / 2, None)]
             for s in specs if s.is_number}
    cases = fuzz.fuzz_cases(specs, bands=bands, n_random=20, n_combinations=10,
                            step_fraction=step, seed=seed)
    assert cases["case_id"].is_unique
    known = set(cases["case_id"])
    assert set(cases["base_case_id"].dropna()) <= known
    for s in specs:
        for value in cases[s.name]:
            if value is None:
                assert s.is_nullable, s
            elif s.is_number:
                assert s.min_value <= value <= s.max_value, (s, value)
                assert not s.feature_type == "integer" or float(value).is_integer()
            else:
                assert value in s.allowed_values, (s, value)
    # a step or counterfactual changes exactly its feature, from its base case
    by_id = cases.set_index("case_id")
    moved = cases[cases["case_kind"].isin(["step", "counterfactual"])]
    for row in moved.head(50).itertuples(index=False):
        base = by_id.loc[row.base_case_id]
        changed = [s.name for s in specs if getattr(row, s.name) != base[s.name]]
        assert changed == [row.perturbed_feature], (row, changed)
    assert (moved["case_kind"] != "counterfactual").all() or any(s.is_sensitive for s in specs)


def test_case_inputs_as_json_keep_nulls_and_integers():
    integer = spec("n", low=0, high=9)
    nullable = spec("c", kind="categorical", low=None, high=None, allowed=("a",), nullable=True)
    cases = fuzz.fuzz_cases([integer, nullable], bands={}, n_random=1, n_combinations=0)
    texts = fuzz.case_features_json(cases, ["n", "c"])
    assert json.loads(texts[0]) == {"c": "a", "n": 4}  # the centre: (0 + 9) // 2 = 4
    null_case = cases.index[cases["case_id"] == "edge:c:null"][0]
    assert json.loads(texts[null_case]) == {"c": None, "n": 4}


def test_counts_are_checked():
    specs = [spec()]
    with pytest.raises(ValueError, match="n_random"):
        fuzz.fuzz_cases(specs, bands={}, n_random=0)
    with pytest.raises(ValueError, match="step_fraction"):
        fuzz.fuzz_cases(specs, bands={}, step_fraction=0.7)
    assert not math.isnan(fuzz.step_size(specs[0], 0.01))
