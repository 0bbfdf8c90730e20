with source as (
    select * from {{ source('raw_audit', 'audit_rows') }}
),

renamed as (
    select
        audit_id,
        dataset,
        row_id as audit_row_id,
        features,
        outcome
    from source
)

select * from renamed
