with source as (
    select * from {{ source('raw', 'quarantine') }}
),

renamed as (
    select
        quarantine_id,
        source as quarantined_from,
        batch_id,
        source_file,
        line_number,
        record_id,
        reason as quarantine_reason,
        error_detail,
        payload,
        payload_encoding,
        quarantined_at,
        cast(quarantined_at as date) as quarantined_date
    from source
)

select * from renamed
