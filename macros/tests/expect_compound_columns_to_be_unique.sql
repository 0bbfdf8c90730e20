{#- Combinations of `column_list` that occur on more than one row, skipping rows whose values
    are all missing (`ignore_row_if='all_values_are_missing'`) or any missing
    (`'any_value_is_missing'`). -#}
{% test expect_compound_columns_to_be_unique(model, column_list, quote_columns=false,
                                             ignore_row_if='all_values_are_missing',
                                             row_condition=none) %}
    {%- set name = 'expect_compound_columns_to_be_unique' -%}
    {{- vigie_require_list(name, 'column_list', column_list) -}}
    {{- vigie_require_boolean(name, 'quote_columns', quote_columns) -}}
    {{- vigie_require_choice(name, 'ignore_row_if', ignore_row_if,
                             ['all_values_are_missing', 'any_value_is_missing']) -}}
    {{ adapter.dispatch('test_expect_compound_columns_to_be_unique', 'vigie')(
        model, column_list, quote_columns, ignore_row_if, row_condition) }}
{% endtest %}

{% macro default__test_expect_compound_columns_to_be_unique(model, column_list, quote_columns,
                                                            ignore_row_if, row_condition) %}
{%- set columns = [] -%}
{%- for column in column_list -%}
    {%- do columns.append(adapter.quote(column) if quote_columns else column) -%}
{%- endfor -%}
{#- all missing: keep a row when any value is present; any missing: only when all are. -#}
{%- set keep_with = ' or ' if ignore_row_if == 'all_values_are_missing' else ' and ' -%}
with scoped as (

    select {{ columns | join(', ') }}
    from {{ model }}
    where (
        {%- for column in columns %}
        {{ column }} is not null{% if not loop.last %}{{ keep_with }}{% endif %}
        {%- endfor %}
    )
    {%- if row_condition %}
        and ({{ row_condition }})
    {%- endif %}

),

failing as (

    select {{ columns | join(', ') }}, count(*) as n_rows
    from scoped
    group by {{ columns | join(', ') }}
    having count(*) > 1

)

select * from failing
{% endmacro %}
