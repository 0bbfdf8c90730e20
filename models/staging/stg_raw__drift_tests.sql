with source as (
    select * from {{ source('raw', 'drift_tests') }}
),

renamed as (
    select
        window_date,
        model_name,
        model_version,
        feature_name,
        test_name,
        cast(statistic as {{ vigie.type_double() }}) as test_statistic,
        cast(effect_size as {{ vigie.type_double() }}) as effect_size,
        cast(pvalue as {{ vigie.type_double() }}) as test_pvalue,
        n_reference,
        n_current,
        reference_hash,
        n_predictions,
        computed_at
    from source
)

select * from renamed
