{#- Groups (or the whole table) whose number of rows lies outside [min_value, max_value] (the
    open interval when `strictly`); a group with no rows at all cannot be seen. -#}
{% test expect_table_row_count_to_be_between(model, min_value=none, max_value=none,
                                             group_by=none, row_condition=none, strictly=false) %}
    {%- set name = 'expect_table_row_count_to_be_between' -%}
    {{- vigie_require_bounds(name, min_value, max_value) -}}
    {{- vigie_require_list(name, 'group_by', group_by, required=false) -}}
    {{- vigie_require_boolean(name, 'strictly', strictly) -}}
    {{ adapter.dispatch('test_expect_table_row_count_to_be_between', 'vigie')(
        model, min_value, max_value, group_by, row_condition, strictly) }}
{% endtest %}

{% macro default__test_expect_table_row_count_to_be_between(model, min_value, max_value, group_by,
                                                            row_condition, strictly) %}
{{ vigie_failing_aggregates(model, 'count(*)', min_value, max_value, group_by, row_condition,
                            strictly) }}
{% endmacro %}
