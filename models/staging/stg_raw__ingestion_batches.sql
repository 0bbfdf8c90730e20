with source as (
    select * from {{ source('raw', 'ingestion_batches') }}
),

renamed as (
    select
        batch_id,
        source as ingested_into,
        source_file,
        file_sha256,
        n_received,
        n_accepted,
        n_already_present,
        n_quarantined,
        started_at,
        finished_at
    from source
)

select * from renamed
