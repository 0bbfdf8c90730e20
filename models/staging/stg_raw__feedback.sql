with source as (
    select * from {{ source('raw', 'feedback') }}
),

renamed as (
    select
        feedback_id,
        prediction_id,
        received_at,
        lower(kind) as feedback_kind,
        outcome,
        cast(rating as {{ dbt.type_int() }}) as rating,
        lower(event) as implicit_event,
        comment as feedback_comment,
        is_orphan_at_ingestion,
        ingested_at
    from source
)

select * from renamed
