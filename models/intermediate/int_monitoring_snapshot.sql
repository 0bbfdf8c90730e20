{{ config(materialized='table') }}
-- The predictions this build monitors, fixed once at its start: one row per day × model ×
-- version with its prediction count and latest ingested_at. The build's watermark is the
-- latest ingested_at here (vigie.build_watermark()); every monitoring model reads predictions
-- up to it and compares these counts with what it stored to find the days that changed.
with predictions as (
    select window_date, model_name, model_version, ingested_at
    from {{ ref('stg_raw__predictions') }}
),

final as (
    select
        cast(window_date as date) as window_date,
        cast(model_name as {{ dbt.type_string() }}) as model_name,
        cast(model_version as {{ dbt.type_string() }}) as model_version,
        cast(count(*) as {{ dbt.type_bigint() }}) as n_predictions,
        cast(max(ingested_at) as {{ dbt.type_timestamp() }}) as last_ingested_at
    from predictions
    group by window_date, model_name, model_version
)

select * from final
