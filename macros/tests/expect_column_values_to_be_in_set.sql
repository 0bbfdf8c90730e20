{#- Rows whose non-null `column_name` is not in `value_set`; with `mostly`, only when the share
    of non-null rows in the set is below it. -#}
{% test expect_column_values_to_be_in_set(model, column_name, value_set, quote_values=true,
                                          row_condition=none, mostly=none) %}
    {%- set name = 'expect_column_values_to_be_in_set' -%}
    {{- vigie_require_list(name, 'value_set', value_set) -}}
    {{- vigie_require_boolean(name, 'quote_values', quote_values) -}}
    {{- vigie_require_fraction(name, 'mostly', mostly) -}}
    {{ adapter.dispatch('test_expect_column_values_to_be_in_set', 'vigie')(
        model, column_name, value_set, quote_values, row_condition, mostly) }}
{% endtest %}

{% macro default__test_expect_column_values_to_be_in_set(model, column_name, value_set,
                                                         quote_values, row_condition, mostly) %}
{%- set expectation -%}
    {{ column_name }} in (
    {%- for value in value_set -%}
        {%- if quote_values -%}
            '{{ dbt.escape_single_quotes(value | string) }}'
        {%- else -%}
            {{ value }}
        {%- endif -%}
        {%- if not loop.last %}, {% endif -%}
    {%- endfor -%}
    )
{%- endset -%}
{{ vigie_failing_rows(model, expectation, row_condition, mostly, null_column=column_name) }}
{% endmacro %}
