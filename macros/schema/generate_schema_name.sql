{#- Schemas are exactly raw, staging, intermediate, marts on every engine:
    BI tools and tests read these names, so no target prefix is added. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema | trim }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
