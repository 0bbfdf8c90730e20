{#- Rows whose non-null `column_name` lies outside [min_value, max_value] (the open interval
    when `strictly`); with `mostly`, only when the in-range share of non-null rows is below it. -#}
{% test expect_column_values_to_be_between(model, column_name, min_value=none, max_value=none,
                                           row_condition=none, strictly=false, mostly=none) %}
    {%- set name = 'expect_column_values_to_be_between' -%}
    {{- vigie_require_bounds(name, min_value, max_value) -}}
    {{- vigie_require_boolean(name, 'strictly', strictly) -}}
    {{- vigie_require_fraction(name, 'mostly', mostly) -}}
    {{ adapter.dispatch('test_expect_column_values_to_be_between', 'vigie')(
        model, column_name, min_value, max_value, row_condition, strictly, mostly) }}
{% endtest %}

{% macro default__test_expect_column_values_to_be_between(model, column_name, min_value,
                                                          max_value, row_condition, strictly,
                                                          mostly) %}
{%- set expectation -%}
    1 = 1
    {%- if min_value is not none %} and {{ column_name }} {{ '>' if strictly else '>=' }} {{ min_value }}{% endif %}
    {%- if max_value is not none %} and {{ column_name }} {{ '<' if strictly else '<=' }} {{ max_value }}{% endif %}
{%- endset -%}
{{ vigie_failing_rows(model, expectation, row_condition, mostly, null_column=column_name) }}
{% endmacro %}
