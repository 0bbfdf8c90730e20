with source as (
    select * from {{ source('raw', 'reference_sample') }}
),

renamed as (
    select
        model_name,
        model_version,
        row_id as reference_row_id,
        feature_name,
        value as value_text,
        ingested_at
    from source
)

select * from renamed
