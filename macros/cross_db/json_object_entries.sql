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

{#- Spark 4 keeps the JSON as text (raw.predictions.features is a string column there) and
    unnests its VARIANT: variant_explode gives (pos, key, value), value a VARIANT. A row whose
    JSON is not an object gives no entries, as json_each does. -#}
{% macro spark__json_object_entries(json_column, alias) -%}
  cross join lateral variant_explode(parse_json({{ json_column }})) as {{ alias }}
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

{#- A VARIANT cast to string: a string's own text (no quotes), a number's digits, JSON text for
    objects and arrays, and SQL null for JSON null. parse_json reads 928.0 as DECIMAL(4,1),
    whose text drops the zero ('928'); through a double it is '928.0', the text the JSON has
    (as Python writes floats) and DuckDB and PostgreSQL return. -#}
{% macro spark__json_entry_text(alias) -%}
  case
    when schema_of_variant({{ alias }}.value) like 'DECIMAL%'
        then cast(cast({{ alias }}.value as double) as string)
    else cast({{ alias }}.value as string)
  end
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

{#- schema_of_variant names the VARIANT's type: BIGINT, DOUBLE, DECIMAL(p,s) ... for numbers,
    STRING, BOOLEAN, VOID for JSON null, OBJECT<...> and ARRAY<...> with their fields. -#}
{% macro spark__json_entry_type(alias) -%}
  case
    when schema_of_variant({{ alias }}.value) in ('TINYINT', 'SMALLINT', 'INT', 'BIGINT',
                                                  'FLOAT', 'DOUBLE')
        or schema_of_variant({{ alias }}.value) like 'DECIMAL%' then 'number'
    when schema_of_variant({{ alias }}.value) = 'STRING' then 'string'
    when schema_of_variant({{ alias }}.value) = 'BOOLEAN' then 'boolean'
    when schema_of_variant({{ alias }}.value) = 'VOID' then 'null'
    when schema_of_variant({{ alias }}.value) like 'OBJECT%' then 'object'
    when schema_of_variant({{ alias }}.value) like 'ARRAY%' then 'array'
    else lower(schema_of_variant({{ alias }}.value))
  end
{%- endmacro %}

{% macro postgres__json_entry_type(alias) -%}
  jsonb_typeof({{ alias }}.value)
{%- endmacro %}
