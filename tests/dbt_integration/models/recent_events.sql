-- events at known distances from now (UTC): fresh, stale and in the future
{%- set now_utc = current_timestamp_utc() %}
select 'fresh' as stream, {{ dbt.dateadd('minute', -60, now_utc) }} as event_at
union all
select 'stale' as stream, {{ dbt.dateadd('hour', -72, now_utc) }} as event_at
union all
select 'future' as stream, {{ dbt.dateadd('day', 2, now_utc) }} as event_at
