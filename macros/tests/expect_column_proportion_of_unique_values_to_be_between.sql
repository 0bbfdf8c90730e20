{#- Groups (or the whole table) whose share of distinct values among the non-null values of
    `column_name` lies outside [min_value, max_value] (the open interval when `strictly`). -#}
{% test expect_column_proportion_of_unique_values_to_be_between(model, column_name,
                                                                min_value=none, max_value=none,
                                                                group_by=none, row_condition=none,
                                                                strictly=false) %}
    {%- set name = 'expect_column_proportion_of_unique_values_to_be_between' -%}
    {{- vigie_require_bounds(name, min_value, max_value) -}}
    {{- vigie_require_list(name, 'group_by', group_by, required=false) -}}
    {{- vigie_require_boolean(name, 'strictly', strictly) -}}
    {{ adapter.dispatch('test_expect_column_proportion_of_unique_values_to_be_between', 'vigie')(
        model, column_name, min_value, max_value, group_by, row_condition, strictly) }}
{% endtest %}

{% macro default__test_expect_column_proportion_of_unique_values_to_be_between(
        model, column_name, min_value, max_value, group_by, row_condition, strictly) %}
{%- set aggregate -%}
    cast(count(distinct {{ column_name }}) as {{ type_double() }})
        / nullif(count({{ column_name }}), 0)
{%- endset -%}
{{ vigie_failing_aggregates(model, aggregate, min_value, max_value, group_by, row_condition,
                            strictly) }}
{% endmacro %}
