{#- The continuous (linearly interpolated) quantile of `column` at `fraction` in [0, 1],
    as an aggregate: numpy.quantile(values, fraction) with the default linear method. -#}
{% macro percentile_cont(column, fraction) %}
    {{ return(adapter.dispatch('percentile_cont', 'vigie')(column, fraction)) }}
{% endmacro %}

{#- ANSI ordered-set aggregate (PostgreSQL, Snowflake, Redshift, SQL Server). -#}
{% macro default__percentile_cont(column, fraction) -%}
    percentile_cont({{ fraction }}) within group (order by {{ column }})
{%- endmacro %}

{% macro duckdb__percentile_cont(column, fraction) -%}
    quantile_cont({{ column }}, {{ fraction }})
{%- endmacro %}

{#- Spark's percentile (not percentile_approx) is exact and linearly interpolated. -#}
{% macro spark__percentile_cont(column, fraction) -%}
    percentile({{ column }}, {{ fraction }})
{%- endmacro %}
