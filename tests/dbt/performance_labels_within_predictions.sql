-- model_performance counts no more labelled predictions than business_kpis has predictions,
-- and both marts agree on the number of labelled predictions of a day
{{ config(meta={'dagster': {'ref': {'name': 'model_performance'}}}) }}

with performance as (
    select window_date, model_name, model_version, n_labeled from {{ ref('model_performance') }}
),

kpis as (
    select window_date, model_name, model_version, n_predictions, n_labeled
    from {{ ref('business_kpis') }}
),

disagreeing as (
    select performance.*, kpis.n_predictions, kpis.n_labeled as kpi_n_labeled
    from performance
    left join kpis
        on performance.window_date = kpis.window_date
        and performance.model_name = kpis.model_name
        and performance.model_version = kpis.model_version
    where kpis.n_predictions is null
        or performance.n_labeled > kpis.n_predictions
        or performance.n_labeled <> kpis.n_labeled
)

select * from disagreeing
