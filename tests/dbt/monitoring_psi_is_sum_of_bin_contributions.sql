-- feature_drift.psi is the sum of its bins' psi_contribution in feature_distributions, and each side's proportions sum to 1
{{ config(meta={'dagster': {'ref': {'name': 'feature_drift'}}}) }}

with bins as (
    select
        window_date,
        model_name,
        model_version,
        feature_name,
        sum(psi_contribution) as psi,
        sum(reference_proportion) as reference_total,
        sum(current_proportion) as current_total
    from {{ ref('feature_distributions') }}
    group by window_date, model_name, model_version, feature_name
)

select feature_drift.*, bins.psi as bins_psi, bins.reference_total, bins.current_total
from {{ ref('feature_drift') }} as feature_drift
left join bins
    on feature_drift.window_date = bins.window_date
    and feature_drift.model_name = bins.model_name
    and feature_drift.model_version = bins.model_version
    and feature_drift.feature_name = bins.feature_name
where abs(coalesce(feature_drift.psi, -1) - coalesce(bins.psi, -1)) > 1e-9
    or abs(bins.reference_total - 1) > 1e-9
    or abs(bins.current_total - 1) > 1e-9
