with source as (
    select * from {{ source('raw', 'model_fuzz_scores') }}
),

renamed as (
    select
        model_name,
        model_version,
        case_id,
        case_kind,
        base_case_id,
        perturbed_feature,
        perturbation,
        features,
        cast(score as {{ vigie.type_double() }}) as score,
        decision
    from source
)

select * from renamed
