{#- A number as text for the gate's sentences: rounded to `digits` decimals when finite, the
    word 'null' when missing and 'not finite' for NaN / ±infinity (so a sentence never turns
    null and never hides a NaN). `scale` multiplies first (100 for a percentage). -#}
{% macro gate_number(expression, digits=3, scale=1) %}
    {%- if not expression -%}
        {{ exceptions.raise_compiler_error("gate_number: argument `expression` is required") }}
    {%- endif -%}
    {%- if digits is not number or digits < 0 -%}
        {{ exceptions.raise_compiler_error(
            "gate_number: argument `digits` must be a non-negative integer, got " ~ digits) }}
    {%- endif -%}
    case
        when {{ expression }} is null then 'null'
        when {{ vigie.is_finite(expression) }} then
            cast(round(cast(({{ expression }}) * {{ scale }} as decimal(38, 12)), {{ digits }})
                 as {{ dbt.type_string() }})
        else 'not finite'
    end
{%- endmacro %}
