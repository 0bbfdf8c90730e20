{#- Seconds from timestamp `start` to timestamp `finish`, fractions included, as a double.
    dbt.datediff(..., 'second') counts second boundaries, so it drops the fraction (and on
    DuckDB a 0.9 s gap across a boundary counts 1). -#}
{% macro seconds_between(start, finish) %}
    {{ return(adapter.dispatch('seconds_between', 'vigie')(start, finish)) }}
{% endmacro %}

{#- PostgreSQL: the epoch of the interval (numeric since 14). -#}
{% macro default__seconds_between(start, finish) -%}
    cast(extract(epoch from ({{ finish }}) - ({{ start }})) as {{ vigie.type_double() }})
{%- endmacro %}

{% macro duckdb__seconds_between(start, finish) -%}
    (epoch_us({{ finish }}) - epoch_us({{ start }})) / 1000000.0
{%- endmacro %}

{% macro spark__seconds_between(start, finish) -%}
    (unix_micros({{ finish }}) - unix_micros({{ start }})) / 1000000.0
{%- endmacro %}
