with source as (
    select * from {{ source('raw', 'evaluation_scores') }}
),

renamed as (
    select
        evaluation_id,
        model_name,
        model_version,
        role as evaluation_role,
        prediction_id,
        cast(score as {{ vigie.type_double() }}) as score,
        decision,
        outcome,
        scored_at
    from source
)

select * from renamed
