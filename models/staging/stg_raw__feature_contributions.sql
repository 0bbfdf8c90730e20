with source as (
    select * from {{ source('raw', 'feature_contributions') }}
),

renamed as (
    select
        model_name,
        model_version,
        feature_name,
        cast(mean_abs_contribution as {{ vigie.type_double() }}) as mean_abs_contribution,
        n_rows as n_contribution_rows,
        computed_at
    from source
)

select * from renamed
