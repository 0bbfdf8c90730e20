{#- Rows of a drift mart whose non-null population stability index `column_name` is not below
    `max_value` (PSI 0.1 / 0.25 are the usual bands); with `mostly`, only when the share of rows
    below it is under `mostly`. -#}
{% test expect_psi_to_be_below(model, column_name, max_value, row_condition=none, mostly=none) %}
    {%- set name = 'expect_psi_to_be_below' -%}
    {{- vigie_require_value(name, 'max_value', max_value) -}}
    {%- if max_value is not number or max_value is boolean or max_value <= 0 -%}
        {{ exceptions.raise_compiler_error(
            name ~ ": argument `max_value` must be a positive number, got " ~ max_value) }}
    {%- endif -%}
    {{- vigie_require_fraction(name, 'mostly', mostly) -}}
    {{ adapter.dispatch('test_expect_psi_to_be_below', 'vigie')(
        model, column_name, max_value, row_condition, mostly) }}
{% endtest %}

{% macro default__test_expect_psi_to_be_below(model, column_name, max_value, row_condition,
                                              mostly) %}
{{ vigie_failing_rows(model, column_name ~ ' < ' ~ max_value, row_condition, mostly,
                      null_column=column_name) }}
{% endmacro %}
