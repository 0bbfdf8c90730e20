{#- Rows of a conformance mart whose non-null conformance rate `column_name` is below
    `min_value` in [0, 1] (a rate equal to `min_value` passes); with `mostly`, only when the
    share of rows at or above it is under `mostly`. -#}
{% test expect_conformance_rate_to_be_above(model, column_name, min_value, row_condition=none,
                                            mostly=none) %}
    {%- set name = 'expect_conformance_rate_to_be_above' -%}
    {{- vigie_require_fraction(name, 'min_value', min_value, required=true) -}}
    {{- vigie_require_fraction(name, 'mostly', mostly) -}}
    {{ adapter.dispatch('test_expect_conformance_rate_to_be_above', 'vigie')(
        model, column_name, min_value, row_condition, mostly) }}
{% endtest %}

{% macro default__test_expect_conformance_rate_to_be_above(model, column_name, min_value,
                                                           row_condition, mostly) %}
{{ vigie_failing_rows(model, column_name ~ ' >= ' ~ min_value, row_condition, mostly,
                      null_column=column_name) }}
{% endmacro %}
