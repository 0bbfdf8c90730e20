-- drift_summary counts exactly the features feature_drift marks drifted, day × model × version
{{ config(meta={'dagster': {'ref': {'name': 'drift_summary'}}}) }}

with counted as (
    select
        window_date,
        model_name,
        model_version,
        count(*) as n_features,
        sum(case when is_drifted then 1 else 0 end) as n_drifted
    from {{ ref('feature_drift') }}
    group by window_date, model_name, model_version
)

select counted.*, summary.n_features as summary_features, summary.n_drifted as summary_drifted
from counted
full outer join {{ ref('drift_summary') }} as summary
    on counted.window_date = summary.window_date
    and counted.model_name = summary.model_name
    and counted.model_version = summary.model_version
where summary.n_features is null
    or counted.n_features is null
    or summary.n_features <> counted.n_features
    or summary.n_drifted <> counted.n_drifted
