{#- A 64-bit float type for every computed rate, score and AUC. dbt.type_float() renders
    `float`, which DuckDB reads as a 4-byte REAL, too coarse for metrics checked to 1e-9. -#}
{% macro type_double() %}
    {{ return(adapter.dispatch('type_double', 'vigie')()) }}
{% endmacro %}

{#- `double precision` is ANSI SQL (PostgreSQL, DuckDB, Snowflake, Trino, Redshift). -#}
{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{% macro bigquery__type_double() -%}
    float64
{%- endmacro %}

{% macro spark__type_double() -%}
    double
{%- endmacro %}
