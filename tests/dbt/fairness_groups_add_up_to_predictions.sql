-- for every sensitive attribute, the groups of group_parity add up to the day's predictions
-- (a missing or unmatched value lands in 'unknown', never dropped)
{{ config(meta={'dagster': {'ref': {'name': 'group_parity'}}}) }}

with parity as (
    select window_date, model_name, model_version, attribute, sum(n_predictions) as n_grouped
    from {{ ref('group_parity') }}
    group by window_date, model_name, model_version, attribute
),

predictions as (
    select window_date, model_name, model_version, count(*) as n_predictions
    from {{ ref('int_predictions_decided') }}
    group by window_date, model_name, model_version
),

mismatched as (
    select parity.*, predictions.n_predictions
    from parity
    left join predictions
        on parity.window_date = predictions.window_date
        and parity.model_name = predictions.model_name
        and parity.model_version = predictions.model_version
    where predictions.n_predictions is null or parity.n_grouped <> predictions.n_predictions
)

select * from mismatched
