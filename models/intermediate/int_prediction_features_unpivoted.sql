{{
    config(
        materialized='incremental',
        on_schema_change='append_new_columns',
        **vigie.day_incremental_config('window_date')
    )
}}

-- One row per prediction × key of its features JSON, for the predictions up to the build's
-- watermark. Incremental: the days of the build's snapshot that received rows since the last
-- build are unpivoted again whole (by day: vigie.day_incremental_config).
with predictions as (
    select * from {{ ref('stg_raw__predictions') }}
    where ingested_at <= {{ vigie.build_watermark() }}
        and {{ vigie.windows_to_process(ref('stg_raw__predictions')) }}
),

unpivoted as (
    select
        predictions.prediction_id,
        predictions.model_name,
        predictions.model_version,
        predictions.window_date,
        predictions.ingested_at,
        {{ vigie.json_entry_key('entry') }} as feature_name,
        {{ vigie.json_entry_type('entry') }} as json_type,
        {{ vigie.json_entry_text('entry') }} as value_text
    from predictions
    {{ vigie.json_object_entries('predictions.features', 'entry') }}
),

typed as (
    select
        prediction_id,
        model_name,
        model_version,
        window_date,
        ingested_at,
        feature_name,
        json_type,
        value_text,
        case when json_type = 'number' then cast(value_text as {{ vigie.type_double() }}) end
            as value_numeric,
        case when json_type = 'string' then value_text end as value_category,
        json_type = 'null' as is_null
    from unpivoted
)

select * from typed
