{#- Unnesting a JSON object into (key, value) rows differs by engine, so models use these:
      from predictions
      {{ vigie.json_object_entries('predictions.features', 'entry') }}
    then vigie.json_entry_key('entry'), vigie.json_entry_text('entry') and
    vigie.json_entry_type('entry') (one of string, number, boolean, null, object, array). -#}

{% macro json_object_entries(json_column, alias) %}
  {{ return(adapter.dispatch('json_object_entries', 'vigie')(json_column, alias)) }}
{% endmacro %}

{% macro default__json_object_entries(json_column, alias) -%}
  cross join lateral json_each({{ json_column }}) as {{ alias }}
{%- endmacro %}

{% macro duckdb__json_object_entries(json_column, alias) -%}
  cross join json_each({{ json_column }}) as {{ alias }}
{%- endmacro %}

{% macro postgres__json_object_entries(json_column, alias) -%}
  cross join lateral jsonb_each({{ json_column }}) as {{ alias }}(key, value)
{%- endmacro %}


{% macro json_entry_key(alias) %}
  {{ return(adapter.dispatch('json_entry_key', 'vigie')(alias)) }}
{% endmacro %}

{% macro default__json_entry_key(alias) -%}
  {{ alias }}.key
{%- endmacro %}


{% macro json_entry_text(alias) %}
  {{ return(adapter.dispatch('json_entry_text', 'vigie')(alias)) }}
{% endmacro %}

{% macro default__json_entry_text(alias) -%}
  ({{ alias }}.value ->> '$')
{%- endmacro %}

{% macro postgres__json_entry_text(alias) -%}
  ({{ alias }}.value #>> '{}')
{%- endmacro %}


{% macro json_entry_type(alias) %}
  {{ return(adapter.dispatch('json_entry_type', 'vigie')(alias)) }}
{% endmacro %}

{% macro default__json_entry_type(alias) -%}
  case
    when {{ alias }}.type in ('BIGINT', 'UBIGINT', 'DOUBLE', 'INTEGER', 'HUGEINT') then 'number'
    when {{ alias }}.type = 'VARCHAR' then 'string'
    when {{ alias }}.type = 'BOOLEAN' then 'boolean'
    when {{ alias }}.type = 'NULL' then 'null'
    when {{ alias }}.type = 'OBJECT' then 'object'
    when {{ alias }}.type = 'ARRAY' then 'array'
    else lower({{ alias }}.type)
  end
{%- endmacro %}

{% macro postgres__json_entry_type(alias) -%}
  jsonb_typeof({{ alias }}.value)
{%- endmacro %}
