with source as (
    select * from {{ source('raw', 'validation_scores') }}
),

renamed as (
    select
        model_name,
        model_version,
        row_id,
        cast(score as {{ vigie.type_double() }}) as score,
        outcome,
        scored_at
    from source
)

select * from renamed
