{#- A boolean expression that is true when `expression` is a finite number and false when it is
    null, NaN or ±infinity (never null). The promotion gate guards every comparison with it:
    PostgreSQL and DuckDB both order NaN above every number, so `nan >= 0.8` is true there and a
    NaN ratio would pass an unguarded bound (fail closed instead). -#}
{% macro is_finite(expression) %}
    {%- if not expression -%}
        {{ exceptions.raise_compiler_error("is_finite: argument `expression` is required") }}
    {%- endif -%}
    {{ return(adapter.dispatch('is_finite', 'vigie')(expression)) }}
{% endmacro %}

{#- Portable: x - x is 0 for a finite x, NaN for NaN and ±infinity, and NaN = 0 is false. -#}
{% macro default__is_finite(expression) -%}
    coalesce(cast({{ expression }} as {{ vigie.type_double() }})
             - cast({{ expression }} as {{ vigie.type_double() }}) = 0, false)
{%- endmacro %}

{% macro duckdb__is_finite(expression) -%}
    coalesce(isfinite(cast({{ expression }} as {{ vigie.type_double() }})), false)
{%- endmacro %}

{% macro postgres__is_finite(expression) -%}
    coalesce(cast({{ expression }} as {{ vigie.type_double() }}) not in (
        cast('NaN' as double precision), cast('Infinity' as double precision),
        cast('-Infinity' as double precision)), false)
{%- endmacro %}
