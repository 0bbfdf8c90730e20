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
    full build. Used with vigie.day_incremental_config (delete+insert on window_date, a day
    partition overwritten on Spark), so late rows rebuild their whole day. -#}
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


{#- For a model whose days change when feedback about their predictions arrives (labels, label
    corrections, ratings, implicit events) as well as when predictions do: the CTEs `day_states`
    (per day × model × version, a hash of int_monitoring_snapshot's window_state and the model's
    configuration_hash from int_model_label_configuration) and, on an incremental run, `windows`
    (the days whose state differs from the window_state the model stored, or that it never stored).
    The model stores day_states.window_state on every row, is incremental by day (vigie.
    day_incremental_config: delete+insert, or a day partition overwritten on Spark) on
    window_date, and restricts its import CTEs with in_windows_to_rebuild(). A day the model
    stores no row for (no label yet) stays changed and is rebuilt at every build: the days
    awaiting their first label, a few at most.
    versions / version_state: a relation with one row per model_name × model_version and the
    column of it to fold into the state too (a version's validation AUC).
    feedback: false for a model that reads predictions only (the state is then their count and
    latest ingested_at), so labels arriving for old days do not rebuild them. Ends with a comma,
    before the model's own CTEs. -#}
{% macro window_state_ctes(versions=none, version_state=none, feedback=true) -%}
  {%- if (versions is none) != (version_state is none) -%}
    {{ exceptions.raise_compiler_error("window_state_ctes: give both versions and version_state, or neither") }}
  {%- endif -%}
  {%- set text = dbt.type_string() -%}
day_states as (
    select
        snapshot.window_date,
        snapshot.model_name,
        snapshot.model_version,
        cast({{ dbt.hash(dbt.concat([
            'snapshot.window_state' if feedback else
                ("cast(snapshot.n_predictions as " ~ text ~ ") || '|' || "
                 ~ "cast(snapshot.last_ingested_at as " ~ text ~ ")"),
            "'|'", "coalesce(configuration.configuration_hash, '')",
            "'|'", ("coalesce(cast(versions." ~ version_state ~ " as " ~ text ~ "), '')")
                   if versions is not none else "''"])) }} as {{ text }}) as window_state
    from {{ ref('int_monitoring_snapshot') }} as snapshot
    left join {{ ref('int_model_label_configuration') }} as configuration
        on snapshot.model_name = configuration.model_name
    {%- if versions is not none %}
    left join {{ versions }} as versions
        on snapshot.model_name = versions.model_name
        and snapshot.model_version = versions.model_version
    {%- endif %}
),
{%- if is_incremental() %}
  {%- set stored_columns = adapter.get_columns_in_relation(this) | map(attribute='name')
                           | map('lower') | list %}
  {%- if 'window_state' in stored_columns %}

stored_states as (
    select distinct window_date, model_name, model_version, window_state from {{ this }}
),

windows as (
    {{ vigie.changed_windows('day_states', 'stored_states',
                             ['window_date', 'model_name', 'model_version'], ['window_state']) }}
),
  {%- else %}

{#- A table built before it stored its state (an earlier Vigie): every day is rebuilt once. #}
windows as (
    select distinct window_date from day_states
),
  {%- endif %}
{%- endif %}
{%- endmacro %}


{#- The config of a model rebuilt by whole days (incremental, keyed by `date_column`), to pass
    as `config(materialized='incremental', **vigie.day_incremental_config())`: delete+insert on
    the day column where the engine can delete rows; on Spark's parquet tables, which cannot,
    partitions by day overwritten with insert_overwrite (dynamic partition overwrite replaces
    exactly the days the select returns). Same result: every such model's incremental select
    returns all the rows of each day it rebuilds. -#}
{% macro day_incremental_config(date_column='window_date') %}
  {%- if not date_column -%}
    {{ exceptions.raise_compiler_error("day_incremental_config: argument `date_column` is required") }}
  {%- endif -%}
  {{ return(adapter.dispatch('day_incremental_config', 'vigie')(date_column)) }}
{% endmacro %}

{% macro default__day_incremental_config(date_column) %}
  {{ return({'incremental_strategy': 'delete+insert', 'unique_key': date_column}) }}
{% endmacro %}

{% macro spark__day_incremental_config(date_column) %}
  {{ return({'incremental_strategy': 'insert_overwrite', 'partition_by': [date_column],
             'file_format': 'parquet'}) }}
{% endmacro %}
