with source as (
    select * from {{ source('raw', 'score_calibration') }}
),

renamed as (
    select
        model_name,
        model_version,
        n_validation_rows,
        point_index,
        cast(score as {{ vigie.type_double() }}) as score,
        cast(calibrated_probability as {{ vigie.type_double() }}) as calibrated_probability,
        fitted_at
    from source
)

select * from renamed
