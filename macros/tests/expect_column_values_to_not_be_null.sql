{#- Rows where `column_name` is null; with `mostly`, only when the share of non-null rows is
    below it. -#}
{% test expect_column_values_to_not_be_null(model, column_name, row_condition=none,
                                            mostly=none) %}
    {{- vigie_require_fraction('expect_column_values_to_not_be_null', 'mostly', mostly) -}}
    {{ adapter.dispatch('test_expect_column_values_to_not_be_null', 'vigie')(
        model, column_name, row_condition, mostly) }}
{% endtest %}

{% macro default__test_expect_column_values_to_not_be_null(model, column_name, row_condition,
                                                           mostly) %}
{{ vigie_failing_rows(model, column_name ~ ' is not null', row_condition, mostly) }}
{% endmacro %}
