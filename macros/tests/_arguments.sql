{#- Argument checks shared by Vigie's generic tests. Each raises a compiler error that names the
    test and the argument, so a bad YAML entry fails at compile time with a readable message. -#}

{% macro vigie_require_bounds(test_name, min_value, max_value) %}
    {%- if min_value is none and max_value is none -%}
        {{ exceptions.raise_compiler_error(
            test_name ~ ": give `min_value`, `max_value` or both (both are missing)") }}
    {%- endif -%}
    {%- if min_value is number and max_value is number and min_value > max_value -%}
        {{ exceptions.raise_compiler_error(
            test_name ~ ": `min_value` (" ~ min_value ~ ") is greater than `max_value` ("
            ~ max_value ~ ")") }}
    {%- endif -%}
{% endmacro %}

{% macro vigie_require_value(test_name, argument, value) %}
    {%- if value is none -%}
        {{ exceptions.raise_compiler_error(
            test_name ~ ": argument `" ~ argument ~ "` is required") }}
    {%- endif -%}
{% endmacro %}

{#- `value` must be a number in [0, 1] (a share or a quantile); none is allowed when optional. -#}
{% macro vigie_require_fraction(test_name, argument, value, required=false) %}
    {%- if value is none and not required -%}
        {{ return('') }}
    {%- endif -%}
    {%- if value is not number or value is boolean or value < 0 or value > 1 -%}
        {{ exceptions.raise_compiler_error(
            test_name ~ ": argument `" ~ argument ~ "` must be a number in [0, 1], got "
            ~ value) }}
    {%- endif -%}
{% endmacro %}

{% macro vigie_require_boolean(test_name, argument, value) %}
    {%- if value is not boolean -%}
        {{ exceptions.raise_compiler_error(
            test_name ~ ": argument `" ~ argument ~ "` must be true or false, got " ~ value) }}
    {%- endif -%}
{% endmacro %}

{#- `value` must be a non-empty list of names; none is allowed when optional. -#}
{% macro vigie_require_list(test_name, argument, value, required=true) %}
    {%- if value is none and not required -%}
        {{ return('') }}
    {%- endif -%}
    {%- if value is none or value is string or value is mapping or value is not sequence
          or value | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            test_name ~ ": argument `" ~ argument ~ "` must be a non-empty list, got " ~ value) }}
    {%- endif -%}
{% endmacro %}

{% macro vigie_require_choice(test_name, argument, value, choices) %}
    {%- if value not in choices -%}
        {{ exceptions.raise_compiler_error(
            test_name ~ ": argument `" ~ argument ~ "` must be one of " ~ choices | join(', ')
            ~ ", got " ~ value) }}
    {%- endif -%}
{% endmacro %}
