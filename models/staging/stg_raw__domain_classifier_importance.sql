with source as (
    select * from {{ source('raw', 'domain_classifier_importance') }}
),

renamed as (
    select
        window_date,
        model_name,
        model_version,
        baseline_key,
        n_predictions,
        feature_name,
        cast(gain_share as {{ vigie.type_double() }}) as gain_share,
        computed_at
    from source
)

select * from renamed
