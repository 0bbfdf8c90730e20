{#- The distinct non-null values of `column` in `relation` (optionally `where` a condition), as
    a list sorted in Python order (the same on every engine, whatever the collation), in the
    manner of dbt_utils.get_column_values. Used to lay out a pivot from a seed at compile time.

    Returns `default` when the query cannot run: at parse time (`execute` is false) and when
    the relation does not exist yet (on a fresh warehouse, `dbt compile` or `dbt run` before
    `dbt seed`); `dbt build` builds the seed first, so the model runs with the real values. -#}
{% macro get_column_values(relation, column, where=none, default=none) %}
    {{ return(adapter.dispatch('get_column_values', 'vigie')(relation, column, where, default)) }}
{% endmacro %}

{% macro default__get_column_values(relation, column, where, default) %}
    {%- if relation is none or not column -%}
        {{ exceptions.raise_compiler_error(
            "get_column_values: arguments `relation` and `column` are required") }}
    {%- endif -%}
    {%- set fallback = default if default is not none else [] -%}
    {%- if not execute -%}
        {{ return(fallback) }}
    {%- endif -%}
    {%- if load_relation(relation) is none -%}
        {{ return(fallback) }}
    {%- endif -%}
    {%- set query -%}
        select {{ column }} as column_value
        from {{ relation }}
        where {{ column }} is not null {% if where %}and ({{ where }}){% endif %}
        group by {{ column }}
    {%- endset -%}
    {%- set values = run_query(query).columns[0].values() | map('string') | list -%}
    {{ return(values | sort(case_sensitive=true)) }}
{% endmacro %}
