with source as (
    select * from {{ source('raw_audit', 'audit_tests') }}
),

renamed as (
    select
        audit_id,
        baseline_column,
        candidate_column,
        test_name,
        cast(statistic as {{ vigie.type_double() }}) as test_statistic,
        cast(effect_size as {{ vigie.type_double() }}) as effect_size,
        cast(pvalue as {{ vigie.type_double() }}) as test_pvalue,
        n_baseline,
        n_candidate,
        computed_at
    from source
)

select * from renamed
