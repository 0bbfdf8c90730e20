with source as (
    select * from {{ source('raw', 'predictions') }}
),

renamed as (
    select
        prediction_id,
        model_name,
        model_version,
        scored_at,
        cast(scored_at as date) as window_date,
        entity_id,
        features,
        cast(score as {{ vigie.type_double() }}) as score,
        decision,
        cast(latency_ms as {{ vigie.type_double() }}) as latency_ms,
        batch_id,
        ingested_at
    from source
)

select * from renamed
