{#- The materialization of an intermediate model whose compiled SQL is too long to be a view
    everywhere: a view, except on Spark, whose local Hive metastore (Derby) stores a view's
    text in a column of at most 32,700 characters and refuses a longer one (int_gate_fairness
    expands the gate's macros to more). A table there, with the same rows. -#}
{% macro long_view_materialization() %}
    {{ return(adapter.dispatch('long_view_materialization', 'vigie')()) }}
{% endmacro %}

{% macro default__long_view_materialization() %}
    {{ return('view') }}
{% endmacro %}

{% macro spark__long_view_materialization() %}
    {{ return('table') }}
{% endmacro %}
