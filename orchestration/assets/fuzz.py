"""The candidate's schema fuzz (raw.model_fuzz_scores), before the gate reads it.

The gate's fuzz_counterfactual check (int_gate_fuzz_counterfactual) reads
marts.model_fuzz_results of the candidate; this step fills it in the retraining job, as
candidate_evaluation fills raw.evaluation_scores. Production is fuzzed too when the model store
holds its artifact (the simulator's served v1 has none: its counterfactual check is then not
judged).
"""

import dagster as dg

from orchestration import registry
from orchestration.assets.evaluation import current_candidate
from orchestration.assets.keys import CANDIDATE_FUZZ_KEY, CANDIDATE_MODEL_KEY, PROMOTION_GROUP
from orchestration.fuzz import fuzz_version
from orchestration.resources import ModelStoreResource, WarehouseResource


@dg.asset(key=CANDIDATE_FUZZ_KEY, group_name=PROMOTION_GROUP, deps=[CANDIDATE_MODEL_KEY],
          kinds={"python"},
          description="raw.model_fuzz_scores: the candidate (and production, when stored) "
                      "scored on inputs generated from seeds/feature_schema.csv (`vigie fuzz`)")
def candidate_fuzz(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                   model_store: ModelStoreResource) -> dg.MaterializeResult:
    wh = warehouse.warehouse()
    model_name = warehouse.model
    store = model_store.store()
    candidate = current_candidate(wh, model_name)
    production = registry.production_version(wh, model_name)
    versions = [candidate.model_version]
    if production is not None and store.has(model_name, production.model_version):
        versions.append(production.model_version)
    n_cases = 0
    for version in versions:
        report = fuzz_version(wh, store, model_name, version)
        context.log.info(report.summary())
        n_cases += report.n_cases
    return dg.MaterializeResult(metadata={
        "dagster/row_count": n_cases, "fuzzed_versions": ", ".join(versions),
        "candidate_version": candidate.model_version})
