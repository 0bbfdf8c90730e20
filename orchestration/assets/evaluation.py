"""Candidate and production scored on the same held-out labelled rows (raw.evaluation_scores)."""



import dagster as dg
import numpy as np
import pandas as pd

from orchestration import registry
from orchestration.assets.io import append_frame, utc_now
from orchestration.assets.keys import (
    CANDIDATE_EVALUATION_KEY,
    CANDIDATE_MODEL_KEY,
    PROMOTION_GROUP,
)
from orchestration.assets.training_data import labels_as_of, load_training_set
from orchestration.model_store import ModelStore
from orchestration.resources import ModelStoreResource, WarehouseResource
from orchestration.seed_config import outcome_values
from orchestration.warehouse import Warehouse, delete_where

ERR_NO_CANDIDATE = "model {model} has no version in stage 'candidate' to evaluate"
ERR_NO_PRODUCTION = "model {model} has no production version to compare the candidate with"


def current_candidate(wh: Warehouse, model_name: str) -> registry.RegisteredVersion:
    """The most recently registered version still in stage candidate."""
    candidates = [v for v in registry.versions(wh, model_name).values() if v.stage == "candidate"]
    if not candidates:
        raise ValueError(ERR_NO_CANDIDATE.format(model=model_name))
    return candidates[-1]


def evaluation_id_for(model_name: str, candidate: str, production: str) -> str:
    return f"{model_name}:{candidate}:vs:{production}"


def score_rows(store: ModelStore, version: registry.RegisteredVersion, X: pd.DataFrame,
               examples: pd.DataFrame, decisions: tuple[str, str]) -> tuple[np.ndarray,
                                                                            np.ndarray, str]:
    """Scores and decisions of a version: re-scored from its artifact when the model store has
    it, else the score and decision the serving system logged for these predictions."""
    if store.has(version.model_name, version.model_version):
        model = store.load(version.model_name, version.model_version)
        scores = model.predict_default_probability(X)
        return scores, model.decide(scores, favorable=decisions[0],
                                    unfavorable=decisions[1]), "artifact"
    rows = examples.loc[X.index]
    return rows["score"].to_numpy(dtype=float), rows["decision"].to_numpy(dtype=object), "logged"


@dg.asset(key=CANDIDATE_EVALUATION_KEY, group_name=PROMOTION_GROUP, deps=[CANDIDATE_MODEL_KEY],
          kinds={"python"},
          description="raw.evaluation_scores: the candidate and production scored on the "
                      "candidate's held-out validation rows (same rows, same labels, read from "
                      "intermediate.int_training_examples as of the candidate's label cut-off)")
def candidate_evaluation(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                         model_store: ModelStoreResource) -> dg.MaterializeResult:
    wh = warehouse.warehouse()
    model_name = warehouse.model
    store = model_store.store()
    candidate = current_candidate(wh, model_name)
    production = registry.production_version(wh, model_name)
    if production is None:
        raise ValueError(ERR_NO_PRODUCTION.format(model=model_name))
    trained = store.load(model_name, candidate.model_version)
    full, examples, _ = load_training_set(
        wh, model_name, labels_as_of(wh, model_name, candidate.model_version),
        validation_rows_of=candidate.model_version)
    # The held-out split is the candidate's own (its artifact lists the rows; they are read
    # whatever the cap training_max_rows keeps); a row whose label was corrected after the
    # cut-off is no longer known as of it and drops out.
    X = full.X.loc[[i for i in trained.validation_prediction_ids if i in full.X.index]]
    project_dir = wh.config.project_dir
    decisions = (outcome_values(project_dir, model_name, "decision", favorable=True)[0],
                 outcome_values(project_dir, model_name, "decision", favorable=False)[0])
    evaluation_id = evaluation_id_for(model_name, candidate.model_version,
                                      production.model_version)
    frames, sources = [], {}
    for role, version in (("candidate", candidate), ("production", production)):
        scores, decided, sources[role] = score_rows(store, version, X, examples, decisions)
        frames.append(pd.DataFrame({
            "evaluation_id": evaluation_id, "model_name": model_name,
            "model_version": version.model_version, "role": role,
            "prediction_id": X.index.astype(str), "score": scores.astype(float),
            "decision": pd.Series(decided, dtype=object).astype(str).to_numpy(),
            "outcome": examples.loc[X.index, "outcome"].astype(str).to_numpy(),
            "scored_at": utc_now()}))
    with wh.connect() as conn:
        delete_where(conn, wh.target, "raw.evaluation_scores", "evaluation_id", evaluation_id)
        for frame in frames:
            append_frame(conn, wh.target, "raw.evaluation_scores", frame)
    # The AUCs of these rows are computed by dbt (marts.promotion_decisions), not here.
    context.log.info(f"evaluation {evaluation_id}: {len(X)} held-out rows scored by "
                     f"{candidate.model_version} and {production.model_version}")
    return dg.MaterializeResult(metadata={
        "evaluation_id": evaluation_id, "dagster/row_count": 2 * len(X),
        "n_heldout_rows": len(X), "candidate_version": candidate.model_version,
        "production_version": production.model_version,
        "production_scores_from": sources["production"]})
