{#- Ordered string aggregation: the non-null values of `measure` joined by `delimiter_text` (a
    SQL string literal) in the order of `order_by_clause` ('order by a, b'), null when there are
    none. dbt.listagg everywhere but Spark, where dbt-spark's listagg drops the order (with a
    warning): Vigie hashes these lists (schema and configuration hashes) and shows them, so the
    order must be the same on every engine. -#}
{% macro ordered_listagg(measure, delimiter_text="','", order_by_clause=none) %}
    {%- if not measure -%}
        {{ exceptions.raise_compiler_error("ordered_listagg: argument `measure` is required") }}
    {%- endif -%}
    {{ return(adapter.dispatch('ordered_listagg', 'vigie')(measure, delimiter_text, order_by_clause)) }}
{% endmacro %}

{% macro default__ordered_listagg(measure, delimiter_text, order_by_clause) -%}
    {{ dbt.listagg(measure, delimiter_text, order_by_clause) }}
{%- endmacro %}

{#- Collect (order keys..., value) structs, sort them (array_sort compares structs field by
    field, as ORDER BY does with its keys), keep the values. Only ascending column keys are
    supported. Null values are left out before joining, and an empty list is null, as
    string_agg does. -#}
{% macro spark__ordered_listagg(measure, delimiter_text, order_by_clause) -%}
    {%- set keys = [] -%}
    {%- if order_by_clause -%}
        {%- set clause = order_by_clause | trim -%}
        {%- if clause[:8] | lower != 'order by' -%}
            {{ exceptions.raise_compiler_error(
                "ordered_listagg: argument `order_by_clause` must start with 'order by', got " ~ order_by_clause) }}
        {%- endif -%}
        {%- for key in clause[8:].split(',') -%}
            {%- set key = key | trim -%}
            {%- if key.split() | length != 1 and not (key.split() | length == 2
                                                     and key.split()[1] | lower == 'asc') -%}
                {{ exceptions.raise_compiler_error(
                    "ordered_listagg: on Spark `order_by_clause` takes ascending columns only, got " ~ order_by_clause) }}
            {%- endif -%}
            {%- do keys.append(key.split()[0]) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- set collected -%}
        filter(collect_list(struct(
            {%- for key in keys %}{{ key }} as order_key_{{ loop.index }}, {% endfor -%}
            {{ measure }} as listed_value)), entry -> entry.listed_value is not null)
    {%- endset -%}
    case when count({{ measure }}) > 0 then
        array_join(transform(array_sort({{ collected }}), entry -> entry.listed_value),
                   {{ delimiter_text }})
    end
{%- endmacro %}
