-- current_timestamp_utc() is within five minutes of the UTC clock of the process that ran dbt
-- (passed as --vars '{runner_utc_now: "YYYY-MM-DD HH:MM:SS"}'; the test is off without it)
{{ config(enabled=var('runner_utc_now', none) is not none) }}

with clocks as (

    select
        {{ current_timestamp_utc() }} as warehouse_utc_now,
        cast('{{ var("runner_utc_now", "1970-01-01 00:00:00") }}' as {{ dbt.type_timestamp() }})
            as runner_utc_now

),

failing as (

    select *
    from clocks
    where {{ dbt.datediff('runner_utc_now', 'warehouse_utc_now', 'second') }} > 300
        or {{ dbt.datediff('runner_utc_now', 'warehouse_utc_now', 'second') }} < -300

)

select * from failing
