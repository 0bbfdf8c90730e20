{#- Rows of a drift summary whose non-null drift share `column_name` (drifted / monitored
    features) is not below `max_value` in [0, 1]; with `mostly`, only when the share of rows
    below it is under `mostly`. -#}
{% test expect_drift_share_to_be_below(model, column_name, max_value, row_condition=none,
                                       mostly=none) %}
    {%- set name = 'expect_drift_share_to_be_below' -%}
    {{- vigie_require_fraction(name, 'max_value', max_value, required=true) -}}
    {{- vigie_require_fraction(name, 'mostly', mostly) -}}
    {{ adapter.dispatch('test_expect_drift_share_to_be_below', 'vigie')(
        model, column_name, max_value, row_condition, mostly) }}
{% endtest %}

{% macro default__test_expect_drift_share_to_be_below(model, column_name, max_value,
                                                      row_condition, mostly) %}
{{ vigie_failing_rows(model, column_name ~ ' < ' ~ max_value, row_condition, mostly,
                      null_column=column_name) }}
{% endmacro %}
