{#- Test helper: a JSON text literal as the type raw.predictions.features has on each engine
    (JSON on DuckDB, JSONB on PostgreSQL, its text on Spark). -#}
{% macro json_from_text(text_literal) %}
    {{ return(adapter.dispatch('json_from_text', 'vigie')(text_literal)) }}
{% endmacro %}

{% macro default__json_from_text(text_literal) -%}
    cast({{ text_literal }} as json)
{%- endmacro %}

{% macro postgres__json_from_text(text_literal) -%}
    cast({{ text_literal }} as jsonb)
{%- endmacro %}

{% macro spark__json_from_text(text_literal) -%}
    {{ text_literal }}
{%- endmacro %}


{#- Test helper: two nullable texts differ (a null differs from a value, two nulls do not). -#}
{% macro differs_as_text(a, b) -%}
    ({{ a }} <> {{ b }} or ({{ a }} is null and {{ b }} is not null)
        or ({{ a }} is not null and {{ b }} is null))
{%- endmacro %}
