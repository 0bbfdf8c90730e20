{#- A seed row as one text for a configuration hash: its columns in the given order, '|'
    between them, a null as the empty text. One definition, so that two hashes over the same
    seed (int_model_configuration, int_model_label_configuration) read its rows alike. -#}
{% macro seed_entry(columns) %}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- if not loop.first %}{% do parts.append("'|'") %}{% endif -%}
        {%- do parts.append("coalesce(cast(" ~ column ~ " as " ~ dbt.type_string() ~ "), '')") -%}
    {%- endfor -%}
    {{ dbt.concat(parts) }}
{%- endmacro %}

{#- The schema columns a change of which changes a feature's conformance and distributions. -#}
{% macro feature_schema_entry() %}
    {{- vigie.seed_entry(['feature_name', 'feature_type', 'min_value', 'max_value',
                          'allowed_values', 'is_nullable']) -}}
{%- endmacro %}
