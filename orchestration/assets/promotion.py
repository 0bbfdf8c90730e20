"""The production model: the stage change, only for a candidate the recorded decision approved.

It runs after promotion_decision and its blocking gate checks (a failed check skips it), and
acts on the registry's record, not on a verdict of its own: the version in stage 'approved'
becomes production and the previous production is archived. Without an approved version (a
skipped candidate) it changes nothing.
"""

import dagster as dg

from orchestration import registry
from orchestration.assets.keys import PRODUCTION_MODEL_KEY, PROMOTION_DECISION_KEY, PROMOTION_GROUP
from orchestration.resources import WarehouseResource


def promote_approved(wh, model_name: str) -> tuple[str | None, str | None]:
    """Make the latest approved version production; (promoted version, replaced version)."""
    known = registry.versions(wh, model_name)
    approved = [v for v in known.values() if v.stage == "approved"]
    before = registry.production_version(wh, model_name)
    if not approved:
        return None, before.model_version if before else None
    version = approved[-1].model_version
    with wh.connect() as conn:
        registry.set_production(conn, known, model_name=model_name, model_version=version,
                                event="promoted", reason="approved by the promotion gate")
    return version, before.model_version if before else None


@dg.asset(key=PRODUCTION_MODEL_KEY, group_name=PROMOTION_GROUP, deps=[PROMOTION_DECISION_KEY],
          kinds={"python"},
          description="raw.model_registry: the approved candidate becomes production (the "
                      "previous production is archived); nothing changes otherwise")
def production_model(context: dg.AssetExecutionContext,
                     warehouse: WarehouseResource) -> dg.MaterializeResult:
    wh = warehouse.warehouse()
    model_name = warehouse.model
    promoted, replaced = promote_approved(wh, model_name)
    if promoted:
        context.log.info(f"{promoted} is production (replacing {replaced or 'none'})")
    else:
        context.log.info(f"no approved candidate: {replaced or 'none'} stays in production")
    current = registry.production_version(wh, model_name)
    return dg.MaterializeResult(metadata={
        "production_version": current.model_version if current else "none",
        "promoted": promoted or "none", "replaced": replaced or "none"})
