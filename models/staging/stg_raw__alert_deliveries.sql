with source as (
    select * from {{ source('raw', 'alert_deliveries') }}
),

renamed as (
    select
        alert_id,
        alert_key,
        attempted_at,
        delivery_status,
        cast(http_status as {{ dbt.type_int() }}) as http_status,
        detail
    from source
)

select * from renamed
