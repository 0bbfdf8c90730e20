{#- Groups (or the whole table) whose `quantile` of `column_name` (linear interpolation, as
    numpy.quantile) lies outside [min_value, max_value] (the open interval when `strictly`). -#}
{% test expect_column_quantile_values_to_be_between(model, column_name, quantile,
                                                    min_value=none, max_value=none, group_by=none,
                                                    row_condition=none, strictly=false) %}
    {%- set name = 'expect_column_quantile_values_to_be_between' -%}
    {{- vigie_require_fraction(name, 'quantile', quantile, required=true) -}}
    {{- vigie_require_bounds(name, min_value, max_value) -}}
    {{- vigie_require_list(name, 'group_by', group_by, required=false) -}}
    {{- vigie_require_boolean(name, 'strictly', strictly) -}}
    {{ adapter.dispatch('test_expect_column_quantile_values_to_be_between', 'vigie')(
        model, column_name, quantile, min_value, max_value, group_by, row_condition, strictly) }}
{% endtest %}

{% macro default__test_expect_column_quantile_values_to_be_between(model, column_name, quantile,
                                                                   min_value, max_value,
                                                                   group_by, row_condition,
                                                                   strictly) %}
{{ vigie_failing_aggregates(
    model, percentile_cont('cast(' ~ column_name ~ ' as ' ~ type_double() ~ ')', quantile),
    min_value, max_value, group_by, row_condition, strictly) }}
{% endmacro %}
