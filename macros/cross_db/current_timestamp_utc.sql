{#- The current time in UTC as a timestamp without time zone (the type of every `_at` column),
    whatever the session's time zone. -#}
{% macro current_timestamp_utc() %}
    {{ return(adapter.dispatch('current_timestamp_utc', 'vigie')()) }}
{% endmacro %}

{#- dbt's own UTC timestamp (PostgreSQL: current_timestamp at time zone 'utc'). -#}
{% macro default__current_timestamp_utc() -%}
    {{ dbt.current_timestamp_in_utc_backcompat() }}
{%- endmacro %}

{#- DuckDB casts a timestamptz to a timestamp in the session time zone, so convert first. -#}
{% macro duckdb__current_timestamp_utc() -%}
    cast(timezone('UTC', {{ dbt.current_timestamp() }}) as {{ dbt.type_timestamp() }})
{%- endmacro %}
