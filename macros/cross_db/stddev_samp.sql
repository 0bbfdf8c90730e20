{#- Sample standard deviation of `column` (n - 1 in the denominator), as an aggregate:
    numpy.std(values, ddof=1); null for fewer than two non-null values. -#}
{% macro stddev_samp(column) %}
    {{ return(adapter.dispatch('stddev_samp', 'vigie')(column)) }}
{% endmacro %}

{#- stddev_samp is standard SQL (DuckDB, PostgreSQL, Snowflake, Trino, Spark). -#}
{% macro default__stddev_samp(column) -%}
    stddev_samp({{ column }})
{%- endmacro %}
