"""Schema-driven fuzz cases: valid but extreme inputs of a model, from seeds/feature_schema.csv.

The cases are raw facts to score; what they show (scores out of range, unstable steps,
monotonicity violations, counterfactual flips) is computed by dbt (marts.model_fuzz_results).
Every value stays inside the schema: within [min, max], an allowed category, null only where
the feature is nullable.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

FEATURE_TYPES = ("numeric", "integer", "categorical")
MONOTONE_DIRECTIONS = ("increasing", "decreasing")
CASE_COLUMNS = ("case_id", "case_kind", "base_case_id", "perturbed_feature", "perturbation")
# Share of a random case's nullable features left null.
RANDOM_NULL_RATE = 0.1

ERR_FEATURE_TYPE = "feature_schema: feature {feature!r} has type {value!r}, not one of {allowed}"
ERR_BOUNDS = ("feature_schema: {kind} feature {feature!r} needs finite min_value <= max_value, "
              "got {low!r} and {high!r}")
ERR_NO_CATEGORIES = "feature_schema: categorical feature {feature!r} has no allowed_values"
ERR_MONOTONE = ("feature_schema: feature {feature!r} has monotone {value!r}, not one of "
                "increasing, decreasing or empty")
ERR_MONOTONE_CATEGORICAL = "feature_schema: categorical feature {feature!r} cannot be monotone"
ERR_NO_FEATURES = "feature_schema has no features for the model"
ERR_COUNT = "{name} must be a whole number >= {minimum}, got {value!r}"
ERR_STEP = "step_fraction must be in (0, 0.5), got {value!r}"


@dataclass(frozen=True)
class FeatureSpec:
    """One row of seeds/feature_schema.csv, typed."""

    name: str
    feature_type: str
    min_value: float | None
    max_value: float | None
    allowed_values: tuple[str, ...]
    is_nullable: bool
    is_sensitive: bool
    monotone: str | None

    @property
    def is_number(self) -> bool:
        return self.feature_type in ("numeric", "integer")


def _flag(value: object) -> bool:
    return str(value).strip().lower() == "true"


def _bound(value: object) -> float | None:
    text = "" if value is None else str(value).strip()
    return float(text) if text else None


def feature_specs(rows: Sequence[Mapping[str, object]]) -> list[FeatureSpec]:
    """Typed, checked FeatureSpecs of the seed rows of one model (the monotone column optional)."""
    if not rows:
        raise ValueError(ERR_NO_FEATURES)
    specs = []
    for row in rows:
        name = str(row["feature_name"])
        kind = str(row["feature_type"]).strip()
        if kind not in FEATURE_TYPES:
            raise ValueError(ERR_FEATURE_TYPE.format(feature=name, value=kind,
                                                     allowed=", ".join(FEATURE_TYPES)))
        low, high = _bound(row.get("min_value")), _bound(row.get("max_value"))
        allowed = tuple(v for v in str(row.get("allowed_values") or "").split("|") if v)
        monotone = str(row.get("monotone") or "").strip() or None
        if kind != "categorical" and not (low is not None and high is not None
                                          and math.isfinite(low) and math.isfinite(high)
                                          and low <= high):
            raise ValueError(ERR_BOUNDS.format(kind=kind, feature=name, low=low, high=high))
        if kind == "categorical" and not allowed:
            raise ValueError(ERR_NO_CATEGORIES.format(feature=name))
        if monotone is not None and monotone not in MONOTONE_DIRECTIONS:
            raise ValueError(ERR_MONOTONE.format(feature=name, value=monotone))
        if monotone is not None and kind == "categorical":
            raise ValueError(ERR_MONOTONE_CATEGORICAL.format(feature=name))
        specs.append(FeatureSpec(name, kind, low, high, allowed, _flag(row.get("is_nullable")),
                                 _flag(row.get("is_sensitive")), monotone))
    return specs


def step_size(spec: FeatureSpec, step_fraction: float) -> float:
    """A small change of a number feature: step_fraction of its range (integers: at least 1)."""
    width = spec.max_value - spec.min_value
    if spec.feature_type == "integer":
        return float(max(1, math.floor(step_fraction * width)))
    return step_fraction * width


def _typed(spec: FeatureSpec, value: float) -> float | int:
    return int(value) if spec.feature_type == "integer" else float(value)


def centre_value(spec: FeatureSpec) -> object:
    """The middle of the range (integers rounded down), or the first allowed category."""
    if not spec.is_number:
        return spec.allowed_values[0]
    return _typed(spec, math.floor((spec.min_value + spec.max_value) / 2)
                  if spec.feature_type == "integer" else (spec.min_value + spec.max_value) / 2)


def extreme_values(spec: FeatureSpec, step_fraction: float) -> list[tuple[str, object]]:
    """(name, value) of the feature's extremes: min, just above it, just below max, max (the
    inner two when they stay inside the range); every allowed category; null when nullable."""
    if spec.is_number:
        step = step_size(spec, step_fraction)
        low, high = spec.min_value, spec.max_value
        values = [("min", low)]
        if low + step < high - step:
            values += [("above_min", low + step), ("below_max", high - step)]
        values.append(("max", high))
        found = [(name, _typed(spec, v)) for name, v in values]
    else:
        found = [(f"category={v}", v) for v in spec.allowed_values]
    return found + ([("null", None)] if spec.is_nullable else [])


def _random_value(spec: FeatureSpec, rng: np.random.Generator) -> object:
    if spec.is_nullable and rng.random() < RANDOM_NULL_RATE:
        return None
    if spec.feature_type == "integer":
        return int(rng.integers(int(math.ceil(spec.min_value)),
                                int(math.floor(spec.max_value)) + 1))
    if spec.feature_type == "numeric":
        return float(rng.uniform(spec.min_value, spec.max_value))
    return spec.allowed_values[int(rng.integers(len(spec.allowed_values)))]


def band_values(spec: FeatureSpec, edges: Sequence[tuple[str, float | None, float | None]]
                ) -> list[tuple[str, float | None, float | None, object]]:
    """(band, lower, upper, representative) per band [lower, upper) that meets the schema's
    range: the middle of the band clipped to the range (integers rounded down)."""
    found = []
    for band, lower, upper in edges:
        low = spec.min_value if lower is None else max(lower, spec.min_value)
        top = spec.max_value if upper is None else min(upper, spec.max_value)
        if spec.feature_type == "integer" and upper is not None and upper <= spec.max_value:
            top = math.ceil(upper) - 1  # the last whole number below the band's upper edge
        if low > top:
            continue
        middle = _typed(spec, math.floor((low + top) / 2) if spec.feature_type == "integer"
                        else (low + top) / 2)
        if _in_band(middle, lower, upper):  # a band the range only touches has no member
            found.append((band, lower, upper, middle))
    return found


def _in_band(value: float, lower: float | None, upper: float | None) -> bool:
    return (lower is None or value >= lower) and (upper is None or value < upper)


def counterfactual_values(spec: FeatureSpec, value: object,
                          bands: Sequence[tuple[str, float | None, float | None]]
                          ) -> list[tuple[str, object]]:
    """(perturbation, value): the same applicant in each other group of a sensitive feature
    (another category; for a number, another band's representative). None for a null value."""
    if value is None:
        return []
    if not spec.is_number:
        return [(f"category={v}", v) for v in spec.allowed_values if v != value]
    return [(f"band={band}", middle) for band, lower, upper, middle in band_values(spec, bands)
            if not _in_band(float(value), lower, upper)]


def _check_count(name: str, value: int, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(ERR_COUNT.format(name=name, minimum=minimum, value=value))


def fuzz_cases(specs: Sequence[FeatureSpec], *,
               bands: Mapping[str, Sequence[tuple[str, float | None, float | None]]],
               n_random: int = 1000, n_combinations: int = 200, step_fraction: float = 0.01,
               seed: int = 0) -> pd.DataFrame:
    """Every fuzz case of a schema, one row each: CASE_COLUMNS then one column per feature.

    centre: the middle of every range; edge: the centre with one feature at an extreme
    (extreme_values); combination: all minima, all maxima, all nulls and n_combinations
    seeded-random mixes of extremes; random: n_random seeded-uniform cases within bounds;
    step: each random case with one number feature moved up or down by step_size (when it
    stays inside the range); counterfactual: each random case with one sensitive feature moved
    to each other group (bands: a number feature's bands as (name, lower, upper)).
    """
    _check_count("n_random", n_random, 1)
    _check_count("n_combinations", n_combinations, 0)
    if not 0.0 < step_fraction < 0.5:
        raise ValueError(ERR_STEP.format(value=step_fraction))
    rng = np.random.default_rng(seed)
    names = [s.name for s in specs]
    centre = {s.name: centre_value(s) for s in specs}
    rows: list[dict] = []

    def add(case_id, kind, values, base=None, feature=None, perturbation=None):
        rows.append({"case_id": case_id, "case_kind": kind, "base_case_id": base,
                     "perturbed_feature": feature, "perturbation": perturbation, **values})

    add("centre", "centre", centre)
    extremes = {s.name: extreme_values(s, step_fraction) for s in specs}
    for spec in specs:
        for label, value in extremes[spec.name]:
            add(f"edge:{spec.name}:{label}", "edge", {**centre, spec.name: value}, "centre",
                spec.name, label)
    add("combination:all_min", "combination",
        {s.name: extremes[s.name][0][1] if s.is_number else centre[s.name] for s in specs})
    add("combination:all_max", "combination",
        {s.name: extremes[s.name][-2 if s.is_nullable else -1][1] if s.is_number
         else centre[s.name] for s in specs})
    if any(s.is_nullable for s in specs):
        add("combination:all_null", "combination",
            {s.name: None if s.is_nullable else centre[s.name] for s in specs})
    for i in range(n_combinations):
        add(f"combination:{i:05d}", "combination",
            {name: extremes[name][int(rng.integers(len(extremes[name])))][1] for name in names})
    randoms = []
    for i in range(n_random):
        case = {s.name: _random_value(s, rng) for s in specs}
        randoms.append((f"random:{i:06d}", case))
        add(f"random:{i:06d}", "random", case)
    for case_id, case in randoms:
        for spec in specs:
            value = case[spec.name]
            if spec.is_number and value is not None:
                step = step_size(spec, step_fraction)
                for direction, moved in (("up", value + step), ("down", value - step)):
                    if step > 0 and spec.min_value <= moved <= spec.max_value:
                        add(f"{case_id}:step:{spec.name}:{direction}", "step",
                            {**case, spec.name: _typed(spec, moved)}, case_id, spec.name,
                            direction)
            if spec.is_sensitive:
                for label, moved in counterfactual_values(spec, value,
                                                          bands.get(spec.name, ())):
                    add(f"{case_id}:counterfactual:{spec.name}:{label}", "counterfactual",
                        {**case, spec.name: moved}, case_id, spec.name, label)
    frame = pd.DataFrame(rows, columns=[*CASE_COLUMNS, *names]).astype(
        {name: object for name in names})
    for name in names:  # a null stays None (pandas makes it NaN in a column of numbers)
        frame[name] = frame[name].where(frame[name].notna(), None)
    return frame


def case_features_json(cases: pd.DataFrame, feature_names: Sequence[str]) -> list[str]:
    """Each case's inputs as a JSON object (feature → value; null when missing), keys sorted."""
    values = cases.loc[:, list(feature_names)].astype(object).to_numpy()
    return [json.dumps({name: _plain(v) for name, v in zip(feature_names, row, strict=True)},
                       sort_keys=True) for row in values]


def _plain(value: object) -> object:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def sensitive_bands(rows: Sequence[Mapping[str, object]]
                    ) -> dict[str, list[tuple[str, float | None, float | None]]]:
    """Number bands of seeds/sensitive_groups.csv per attribute: (group, lower, upper), the rows
    with a lower or upper bound (category rows are left out)."""
    found: dict[str, list[tuple[str, float | None, float | None]]] = {}
    for row in rows:
        lower, upper = _bound(row.get("lower_bound")), _bound(row.get("upper_bound"))
        if lower is None and upper is None:
            continue
        found.setdefault(str(row["attribute"]), []).append((str(row["group_name"]), lower,
                                                            upper))
    return found
