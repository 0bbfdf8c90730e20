{#- A column name taken from user data (a feature name: quotes, spaces, unicode) as a quoted
    identifier, with the engine's quote character doubled inside it. adapter.quote alone wraps
    the name in quotes but does not escape one inside it. -#}
{% macro quote_identifier(name) %}
    {{ return(adapter.dispatch('quote_identifier', 'vigie')(name)) }}
{% endmacro %}

{% macro default__quote_identifier(name) %}
    {{ return(adapter.quote(name | string | replace('"', '""'))) }}
{% endmacro %}

{% macro spark__quote_identifier(name) %}
    {{ return(adapter.quote(name | string | replace('`', '``'))) }}
{% endmacro %}

{#- A text value from user data as a SQL string literal (single quotes doubled). dbt's own
    string_literal does not escape. -#}
{% macro quote_string(value) %}
    {{ return(adapter.dispatch('quote_string', 'vigie')(value)) }}
{% endmacro %}

{% macro default__quote_string(value) %}
    {{ return("'" ~ (value | string | replace("'", "''")) ~ "'") }}
{% endmacro %}

{% macro spark__quote_string(value) %}
    {{ return("'" ~ (value | string | replace("\\", "\\\\") | replace("'", "\\'")) ~ "'") }}
{% endmacro %}
