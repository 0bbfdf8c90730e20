{#- The day windows an incremental model must (re)build: every day that received rows since
    the model's last build, judged by ingested_at, so late-arriving rows for an old day rebuild
    that whole day (delete+insert on window_date) and a full refresh gives the same result. -#}
{% macro windows_to_process(relation, date_column='window_date', loaded_column='ingested_at') %}
  {%- if not date_column or not loaded_column -%}
    {{ exceptions.raise_compiler_error("windows_to_process: date_column and loaded_column are required") }}
  {%- endif -%}
  {%- if is_incremental() -%}
    {{ date_column }} in (
        select distinct {{ date_column }}
        from {{ relation }}
        where {{ loaded_column }} > (select max({{ loaded_column }}) from {{ this }})
    )
  {%- else -%}
    1 = 1
  {%- endif -%}
{% endmacro %}


{#- In an incremental model that defines a `windows` CTE (the days to rebuild), restrict an
    import CTE to those days; a full build keeps every row. -#}
{% macro in_windows_to_rebuild(date_column='window_date') -%}
  {%- if is_incremental() %}
    where {{ date_column }} in (select window_date from windows)
  {%- endif %}
{%- endmacro %}
