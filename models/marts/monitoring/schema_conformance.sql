{{
    config(
        materialized='incremental',
        on_schema_change='append_new_columns',
        **vigie.day_incremental_config('window_date')
    )
}}
-- Schema conformance per day × model × feature: every schema feature of the model for every
-- day it scored predictions, plus every unexpected feature that arrived. Each prediction
-- counts under at most one problem, in this order: missing (key absent or JSON null), type
-- error, out of range, unknown category. Reads the predictions of the build's snapshot only.
-- Incremental: a day is rebuilt whole (by day: vigie.day_incremental_config) when its prediction count
-- or latest ingested_at differs from the stored one (new or late rows), or when the model's
-- schema or the conformance target changed since it was stored (an empty table rebuilds all).
with snapshot as (
    select
        window_date,
        model_name,
        sum(n_predictions) as n_rows,
        max(last_ingested_at) as last_ingested_at
    from {{ ref('int_monitoring_snapshot') }}
    group by window_date, model_name
),

configuration as (
    select * from {{ ref('int_model_configuration') }}
),

feature_schema as (
    select * from {{ ref('feature_schema') }}
),

thresholds as (
    select max(case when threshold_name = 'conformance_rate_target' then threshold_value end)
        as conformance_rate_target
    from {{ ref('thresholds') }}
),

day_states as (
    select
        snapshot.window_date,
        snapshot.model_name,
        snapshot.n_rows,
        snapshot.last_ingested_at,
        configuration.schema_hash,
        thresholds.conformance_rate_target
    from snapshot
    left join configuration on snapshot.model_name = configuration.model_name
    cross join thresholds
),
{%- if is_incremental() %}

stored_states as (
    select
        window_date,
        model_name,
        max(n_rows) as n_rows,
        max(last_ingested_at) as last_ingested_at,
        max(schema_hash) as schema_hash,
        max(conformance_rate_target) as conformance_rate_target
    from {{ this }}
    group by window_date, model_name
),

windows as (
    {{ vigie.changed_windows('day_states', 'stored_states', ['window_date', 'model_name'],
                             ['n_rows', 'last_ingested_at', 'schema_hash',
                              'conformance_rate_target']) }}
),
{%- endif %}

feature_values as (
    select * from {{ ref('int_prediction_features_unpivoted') }}
    {{ vigie.in_windows_to_rebuild() }}
),

daily_rows as (
    select * from day_states
    {{ vigie.in_windows_to_rebuild() }}
),

typed_values as (
    select
        feature_values.window_date,
        feature_values.model_name,
        feature_values.feature_name,
        feature_values.json_type,
        feature_values.value_text,
        feature_schema.feature_type,
        feature_schema.min_value,
        feature_schema.max_value,
        feature_schema.allowed_values,
        feature_values.value_numeric as value_number
    from feature_values
    left join feature_schema
        on feature_values.model_name = feature_schema.model_name
        and feature_values.feature_name = feature_schema.feature_name
),

checked as (
    select
        window_date,
        model_name,
        feature_name,
        json_type,
        case
            when feature_type is null or json_type = 'null' then null
            when feature_type in ('numeric', 'integer') and json_type <> 'number'
                then 'type_error'
            when feature_type = 'integer' and value_number <> floor(value_number)
                then 'type_error'
            when feature_type in ('numeric', 'integer')
                and (value_number < min_value or value_number > max_value)
                then 'out_of_range'
            when feature_type = 'categorical' and json_type <> 'string'
                then 'type_error'
            when feature_type = 'categorical' and allowed_values is not null
                and (
                    {{ dbt.position("'|'", 'value_text') }} > 0
                    or {{ dbt.position("'|' || value_text || '|'", "'|' || allowed_values || '|'") }} = 0
                )
                then 'unknown_category'
        end as problem
    from typed_values
),

observed as (
    select
        window_date,
        model_name,
        feature_name,
        count(*) as n_present,
        sum(case when json_type = 'null' then 1 else 0 end) as n_json_null,
        sum(case when problem = 'type_error' then 1 else 0 end) as n_type_errors,
        sum(case when problem = 'out_of_range' then 1 else 0 end) as n_out_of_range,
        sum(case when problem = 'unknown_category' then 1 else 0 end) as n_unknown_category
    from checked
    group by window_date, model_name, feature_name
),

expected as (
    select
        daily_rows.window_date,
        daily_rows.model_name,
        feature_schema.feature_name
    from daily_rows
    inner join feature_schema on daily_rows.model_name = feature_schema.model_name
),

feature_days as (
    select window_date, model_name, feature_name from expected
    union
    select window_date, model_name, feature_name from observed
),

counted as (
    select
        feature_days.window_date,
        feature_days.model_name,
        feature_days.feature_name,
        feature_schema.feature_type,
        feature_schema.is_nullable,
        feature_schema.feature_name is not null as is_expected,
        coalesce(observed.n_present, 0) > 0 as is_observed,
        daily_rows.n_rows,
        coalesce(observed.n_present, 0) as n_present,
        daily_rows.n_rows - coalesce(observed.n_present, 0) + coalesce(observed.n_json_null, 0)
            as n_missing,
        coalesce(observed.n_type_errors, 0) as n_type_errors,
        coalesce(observed.n_out_of_range, 0) as n_out_of_range,
        coalesce(observed.n_unknown_category, 0) as n_unknown_category,
        daily_rows.conformance_rate_target,
        daily_rows.schema_hash,
        daily_rows.last_ingested_at
    from feature_days
    inner join daily_rows
        on feature_days.window_date = daily_rows.window_date
        and feature_days.model_name = daily_rows.model_name
    left join observed
        on feature_days.window_date = observed.window_date
        and feature_days.model_name = observed.model_name
        and feature_days.feature_name = observed.feature_name
    left join feature_schema
        on feature_days.model_name = feature_schema.model_name
        and feature_days.feature_name = feature_schema.feature_name
),

rated as (
    select
        counted.*,
        case when is_expected and not is_nullable then n_missing else 0 end
            as n_missing_not_allowed
    from counted
),

final as (
    select
        cast(rated.window_date as date) as window_date,
        cast(rated.model_name as {{ dbt.type_string() }}) as model_name,
        cast(rated.feature_name as {{ dbt.type_string() }}) as feature_name,
        cast(rated.feature_type as {{ dbt.type_string() }}) as feature_type,
        rated.is_expected,
        rated.is_observed,
        rated.is_nullable,
        cast(rated.n_rows as {{ dbt.type_bigint() }}) as n_rows,
        cast(rated.n_present as {{ dbt.type_bigint() }}) as n_present,
        cast(rated.n_missing as {{ dbt.type_bigint() }}) as n_missing,
        cast(rated.n_missing_not_allowed as {{ dbt.type_bigint() }}) as n_missing_not_allowed,
        cast(rated.n_type_errors as {{ dbt.type_bigint() }}) as n_type_errors,
        cast(rated.n_out_of_range as {{ dbt.type_bigint() }}) as n_out_of_range,
        cast(rated.n_unknown_category as {{ dbt.type_bigint() }}) as n_unknown_category,
        cast(
            rated.n_missing_not_allowed + rated.n_type_errors + rated.n_out_of_range
            + rated.n_unknown_category as {{ dbt.type_bigint() }}
        ) as n_nonconforming,
        case
            when rated.is_expected then cast(
                rated.n_rows - rated.n_missing_not_allowed - rated.n_type_errors
                - rated.n_out_of_range - rated.n_unknown_category as {{ vigie.type_double() }}
            ) / rated.n_rows
        end as conformance_rate,
        cast(rated.conformance_rate_target as {{ vigie.type_double() }})
            as conformance_rate_target,
        cast(rated.schema_hash as {{ dbt.type_string() }}) as schema_hash,
        cast(rated.last_ingested_at as {{ dbt.type_timestamp() }}) as last_ingested_at
    from rated
)

select * from final
