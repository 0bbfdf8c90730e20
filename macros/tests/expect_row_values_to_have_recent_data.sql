{#- One row when the latest `column_name` (a UTC timestamp, future values ignored) is older than
    `interval` `datepart`s before now, or when there is no such value at all. -#}
{% test expect_row_values_to_have_recent_data(model, column_name, datepart, interval,
                                              row_condition=none) %}
    {%- set name = 'expect_row_values_to_have_recent_data' -%}
    {{- vigie_require_choice(name, 'datepart', datepart,
                             ['second', 'minute', 'hour', 'day', 'week', 'month', 'year']) -}}
    {%- if interval is not integer or interval is boolean or interval < 1 -%}
        {{ exceptions.raise_compiler_error(
            name ~ ": argument `interval` must be a positive integer, got " ~ interval) }}
    {%- endif -%}
    {{ adapter.dispatch('test_expect_row_values_to_have_recent_data', 'vigie')(
        model, column_name, datepart, interval, row_condition) }}
{% endtest %}

{% macro default__test_expect_row_values_to_have_recent_data(model, column_name, datepart,
                                                             interval, row_condition) %}
{%- set now_utc = current_timestamp_utc() -%}
{%- set value_at = 'cast(' ~ column_name ~ ' as ' ~ dbt.type_timestamp() ~ ')' -%}
with latest as (

    select max({{ value_at }}) as latest_at
    from {{ model }}
    where {{ value_at }} <= {{ now_utc }}
    {%- if row_condition %}
        and ({{ row_condition }})
    {%- endif %}

),

failing as (

    select
        latest_at,
        {{ dbt.dateadd(datepart, -1 * interval, now_utc) }} as oldest_accepted_at
    from latest
    -- no value at all is as stale as it gets
    where latest_at is null
        or latest_at < {{ dbt.dateadd(datepart, -1 * interval, now_utc) }}

)

select * from failing
{% endmacro %}
