"""Validation: Vigie's `dbt build` of schema_conformance against Great Expectations.

Both sides check the same rules of seeds/feature_schema.csv on the same logged predictions:
not null for every non-nullable feature, between [min_value, max_value] for numeric and integer
features, in the allowed set for categorical features. Vigie's side is `dbt build --full-refresh
--select +schema_conformance` (seeds, staging, the unpivot, the mart and every data test on
them, JSON parsing in SQL included). Great Expectations validates one expectation suite on the
whole set of rows already loaded as a pandas frame, one column per feature (its load is not
timed, which favours it).

Agreement, checked before timing counts: for every feature and rule, the failing rows Vigie
counts over all days (n_missing_not_allowed, n_out_of_range, n_unknown_category) equal GX's
unexpected_count for the matching expectation.
"""

from __future__ import annotations

import pandas as pd

from bench.drift import MODEL_NAME, DisagreementError
from orchestration.dbt_runner import run_dbt
from orchestration.warehouse import Warehouse, WarehouseConfig

VALIDATION_SELECT = ["--select", "+schema_conformance", "--indirect-selection", "cautious"]
RULE_COLUMNS = {"not_null": "n_missing_not_allowed", "between": "n_out_of_range",
                "in_set": "n_unknown_category"}


def schema_rules(project_dir: str) -> list[dict[str, object]]:
    """One rule per feature x check, as feature_schema.csv says (rule, feature, bounds or set)."""
    from orchestration.seed_config import feature_schema

    rules: list[dict[str, object]] = []
    for row in feature_schema(project_dir, MODEL_NAME):
        name = row["feature_name"]
        if row["is_nullable"].strip().lower() != "true":
            rules.append({"rule": "not_null", "feature_name": name})
        if row["feature_type"] in ("numeric", "integer"):
            rules.append({"rule": "between", "feature_name": name,
                          "min_value": float(row["min_value"]),
                          "max_value": float(row["max_value"])})
        elif row["allowed_values"]:
            rules.append({"rule": "in_set", "feature_name": name,
                          "value_set": row["allowed_values"].split("|")})
    return rules


def load_feature_frame(warehouse: Warehouse, rules: list[dict[str, object]]) -> pd.DataFrame:
    """One row per logged prediction, one column per feature (numbers as float, text as str)."""
    features = sorted({str(r["feature_name"]) for r in rules})
    numeric = {str(r["feature_name"]) for r in rules if r["rule"] == "between"}
    columns = ", ".join(f"json_extract_string(features, '$.\"{f}\"') as \"{f}\""
                        for f in features)
    frame = warehouse.query_arrow(f"select {columns} from raw.predictions "
                                  f"where model_name = '{MODEL_NAME}'").to_pandas()
    for name in numeric:
        frame[name] = pd.to_numeric(frame[name], errors="coerce")
    return frame


def vigie_build(config: WarehouseConfig, target_path: str) -> None:
    """`dbt build --full-refresh` of schema_conformance and everything upstream, with tests."""
    run_dbt(["build", "--full-refresh", *VALIDATION_SELECT], config, target_path=target_path,
            capture=True)


def vigie_failures(warehouse: Warehouse) -> pd.DataFrame:
    """Failing rows per feature x rule over all days, from marts.schema_conformance."""
    totals = warehouse.query_df(
        "select feature_name, sum(n_missing_not_allowed) as not_null, "
        "sum(n_out_of_range) as between, sum(n_unknown_category) as in_set "
        f"from marts.schema_conformance where model_name = '{MODEL_NAME}' and is_expected "
        "group by feature_name")
    return totals.melt(id_vars="feature_name", var_name="rule", value_name="n_failing")


def gx_suite(rules: list[dict[str, object]]):
    """The expectation suite of the rules (GX 1.x classes)."""
    import great_expectations as gx

    suite = gx.ExpectationSuite(name="feature_schema")
    for rule in rules:
        column = str(rule["feature_name"])
        if rule["rule"] == "not_null":
            suite.add_expectation(gx.expectations.ExpectColumnValuesToNotBeNull(column=column))
        elif rule["rule"] == "between":
            suite.add_expectation(gx.expectations.ExpectColumnValuesToBeBetween(
                column=column, min_value=rule["min_value"], max_value=rule["max_value"]))
        else:
            suite.add_expectation(gx.expectations.ExpectColumnValuesToBeInSet(
                column=column, value_set=list(rule["value_set"])))
    return suite


GX_RULES = {"expect_column_values_to_not_be_null": "not_null",
            "expect_column_values_to_be_between": "between",
            "expect_column_values_to_be_in_set": "in_set"}


def gx_failures(frame: pd.DataFrame, rules: list[dict[str, object]]) -> pd.DataFrame:
    """Validate the suite on the frame in an ephemeral GX context; unexpected_count per rule."""
    import great_expectations as gx

    context = gx.get_context(mode="ephemeral")
    source = context.data_sources.add_pandas("bench")
    batch = (source.add_dataframe_asset("predictions")
             .add_batch_definition_whole_dataframe("all")
             .get_batch(batch_parameters={"dataframe": frame}))
    result = batch.validate(context.suites.add(gx_suite(rules)))
    rows = [{"feature_name": item.expectation_config.kwargs["column"],
             "rule": GX_RULES[item.expectation_config.type],
             "n_failing": int(item.result.get("unexpected_count") or 0)}
            for item in result.results]
    return pd.DataFrame(rows)


def check_validation_agreement(vigie: pd.DataFrame, gx_rows: pd.DataFrame,
                               rules: list[dict[str, object]]) -> dict[str, object]:
    """Raise DisagreementError unless both count the same failing rows for every rule."""
    wanted = pd.DataFrame([{"feature_name": r["feature_name"], "rule": r["rule"]} for r in rules])
    ours = wanted.merge(vigie, on=["feature_name", "rule"], how="left").fillna({"n_failing": 0})
    joined = ours.merge(gx_rows, on=["feature_name", "rule"], how="outer",
                        suffixes=("_vigie", "_gx"))
    differ = joined[joined["n_failing_vigie"].astype("Int64")
                    != joined["n_failing_gx"].astype("Int64")]
    if not differ.empty or len(joined) != len(wanted):
        raise DisagreementError("failing-row counts differ between Vigie and Great Expectations: "
                                + differ.to_string(index=False))
    return {"n_rules": len(joined), "n_failing_rows": int(joined["n_failing_vigie"].sum()),
            "by_rule": joined.groupby("rule")["n_failing_vigie"].sum().astype(int).to_dict()}
