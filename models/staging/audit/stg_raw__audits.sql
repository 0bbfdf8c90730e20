with source as (
    select * from {{ source('raw_audit', 'audits') }}
),

renamed as (
    select
        audit_id,
        model_name,
        baseline_source,
        candidate_source,
        created_at
    from source
)

select * from renamed
