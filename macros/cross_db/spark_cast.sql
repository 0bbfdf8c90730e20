{#- dbt's cast (dbt.cast), which dbt itself uses to check a model's contract: it casts null to
    each `data_type` of the model's YAML. Those are PostgreSQL / DuckDB names (double precision,
    text, varchar), which Spark's parser rejects, so on Spark they are cast as the Spark type of
    the same values (double, string). dbt searches the root project first for its own
    dispatched macros, so this overrides dbt.cast on Spark only. -#}
{% macro spark__cast(field, type) -%}
    cast({{ field }} as {{ spark_type_name(type) }})
{%- endmacro %}

{#- The Spark name of a SQL type name: double precision -> double, text / varchar /
    varchar(n) / character varying -> string; any other name is returned as it is. -#}
{% macro spark_type_name(type) -%}
    {%- set normalized = type | trim | lower -%}
    {%- if normalized == 'double precision' -%}
        double
    {%- elif normalized in ('text', 'varchar', 'character varying')
             or normalized.startswith('varchar(') or normalized.startswith('character varying(') -%}
        string
    {%- else -%}
        {{ type }}
    {%- endif -%}
{%- endmacro %}
