{#- One consistent snapshot per build (DESIGN.md): int_monitoring_snapshot is built once, at
    the start of the build, from the predictions visible then; every monitoring model reads
    predictions up to its latest ingested_at, so a build that overlaps ingestion is right for
    what it saw and the next build takes the rest. -#}
{% macro build_watermark() -%}
    (select max(last_ingested_at) from {{ ref('int_monitoring_snapshot') }})
{%- endmacro %}


{#- The day windows an append-only incremental model must (re)build: every day of the build's
    snapshot whose latest ingested_at is later than the latest the model stored (an empty
    table stores none, so every day is processed), judged by `loaded_column`; `1 = 1` on a
    full build. Used with delete+insert on window_date, so late rows rebuild their whole day. -#}
{% macro windows_to_process(relation, date_column='window_date', loaded_column='ingested_at') %}
  {%- if not date_column or not loaded_column -%}
    {{ exceptions.raise_compiler_error("windows_to_process: date_column and loaded_column are required") }}
  {%- endif -%}
  {%- if is_incremental() -%}
    {{ date_column }} in (
        select window_date
        from {{ ref('int_monitoring_snapshot') }}
        where last_ingested_at > (
            select coalesce(max({{ loaded_column }}), {{ vigie.timestamp_before_any_data() }})
            from {{ this }}
        )
    )
  {%- else -%}
    1 = 1
  {%- endif -%}
{% endmacro %}


{#- A timestamp earlier than any row (the watermark of an empty table). -#}
{% macro timestamp_before_any_data() -%}
    cast('1900-01-01 00:00:00' as {{ dbt.type_timestamp() }})
{%- endmacro %}


{#- The days whose state changed since the model stored them: a select of window_date from
    `current` (the state this build would store, one row per key) left-joined to `stored` (the
    state the table holds, same keys) where the key is new or any state column differs, nulls
    compared as values. An empty table changes every day. -#}
{% macro changed_windows(current, stored, key_columns, state_columns) -%}
  {%- if 'window_date' not in key_columns -%}
    {{ exceptions.raise_compiler_error("changed_windows: key_columns must include window_date") }}
  {%- endif -%}
  {%- if not state_columns -%}
    {{ exceptions.raise_compiler_error("changed_windows: state_columns must not be empty") }}
  {%- endif -%}
    select distinct {{ current }}.window_date
    from {{ current }}
    left join {{ stored }}
        on {% for key in key_columns %}{{ current }}.{{ key }} = {{ stored }}.{{ key }}
        {%- if not loop.last %} and {% endif %}{% endfor %}
    where {{ stored }}.window_date is null
    {%- for column in state_columns %}
        or {{ vigie.differs(current ~ '.' ~ column, stored ~ '.' ~ column) }}
    {%- endfor %}
{%- endmacro %}


{#- a and b differ, a null differing from a value and equal to a null (IS DISTINCT FROM). -#}
{% macro differs(a, b) -%}
    ({{ a }} <> {{ b }} or ({{ a }} is null and {{ b }} is not null)
        or ({{ a }} is not null and {{ b }} is null))
{%- endmacro %}


{#- In an incremental model that defines a `windows` CTE (the days to rebuild), restrict an
    import CTE to those days; a full build keeps every row. -#}
{% macro in_windows_to_rebuild(date_column='window_date') -%}
  {%- if is_incremental() %}
    where {{ date_column }} in (select window_date from windows)
  {%- endif %}
{%- endmacro %}
