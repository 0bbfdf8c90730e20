-- every prediction up to the build's watermark lands in exactly one day window of schema_conformance (n_rows per day × model is its prediction count)
{{ config(meta={'dagster': {'ref': {'name': 'schema_conformance'}}}) }}

with predictions as (
    select window_date, model_name, count(*) as n_predictions
    from {{ ref('stg_raw__predictions') }}
    where ingested_at <= {{ vigie.build_watermark() }}
    group by window_date, model_name
),

conformance as (
    select window_date, model_name, min(n_rows) as min_rows, max(n_rows) as max_rows
    from {{ ref('schema_conformance') }}
    group by window_date, model_name
)

select
    coalesce(predictions.window_date, conformance.window_date) as window_date,
    coalesce(predictions.model_name, conformance.model_name) as model_name,
    predictions.n_predictions,
    conformance.min_rows,
    conformance.max_rows
from predictions
full outer join conformance
    on predictions.window_date = conformance.window_date
    and predictions.model_name = conformance.model_name
where predictions.n_predictions is null
    or conformance.min_rows is null
    or conformance.min_rows <> predictions.n_predictions
    or conformance.max_rows <> predictions.n_predictions
