{#- Ends a derived table's SELECT so that its columns are computed once, there, and not again
    wherever the outer query reads them. PostgreSQL pulls a subquery up into its parent and
    copies each column's expression to every place that reads it: the bootstrap's Poisson weight
    (a 12-branch CASE over a uniform drawn from an md5) was evaluated for every branch of every
    one of its seven sums, 7.9 s of an 8 s query on 320,000 row-resamples (EXPLAIN ANALYZE).
    `offset 0` keeps the subquery whole (PostgreSQL's documented idiom); DuckDB and Spark
    already compute a shared expression once. -#}
{% macro optimization_fence() %}
    {{ return(adapter.dispatch('optimization_fence', 'vigie')()) }}
{% endmacro %}

{% macro default__optimization_fence() -%}
{%- endmacro %}

{% macro postgres__optimization_fence() -%}
    offset 0
{%- endmacro %}
