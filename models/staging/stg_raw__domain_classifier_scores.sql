with source as (
    select * from {{ source('raw', 'domain_classifier_scores') }}
),

renamed as (
    select
        window_date,
        model_name,
        model_version,
        baseline_key,
        n_predictions,
        side,
        row_id,
        fold,
        cast(score as {{ vigie.type_double() }}) as score,
        computed_at
    from source
)

select * from renamed
