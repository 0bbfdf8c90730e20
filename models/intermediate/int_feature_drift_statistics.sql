{{
    config(
        materialized='incremental',
        on_schema_change='append_new_columns',
        **vigie.day_incremental_config('window_date')
    )
}}
-- The current side of feature_drift, per day × model × version × schema feature of the build's
-- snapshot: count, null rate, mean, sample std, summary quantiles, and PSI, Jensen-Shannon and
-- Hellinger distances (sums over the day's bins in feature_distributions), with no threshold
-- in it, so an edit of
-- seeds/thresholds.csv changes past verdicts in feature_drift without rebuilding this.
-- Incremental: a day is rebuilt whole (by day: vigie.day_incremental_config) when a version's
-- prediction count or latest ingested_at differs from the stored one, or its reference sample
-- or the model's schema changed (by hash) since it was stored.
with snapshot as (
    select * from {{ ref('int_monitoring_snapshot') }}
),

reference_versions as (
    select * from {{ ref('int_reference_versions') }}
),

configuration as (
    select * from {{ ref('int_model_configuration') }}
),

day_states as (
    select
        snapshot.window_date,
        snapshot.model_name,
        snapshot.model_version,
        snapshot.n_predictions,
        snapshot.last_ingested_at,
        reference_versions.reference_hash,
        configuration.schema_hash
    from snapshot
    left join reference_versions
        on snapshot.model_name = reference_versions.model_name
        and snapshot.model_version = reference_versions.model_version
    left join configuration on snapshot.model_name = configuration.model_name
),
{%- if is_incremental() %}

stored_states as (
    select
        window_date,
        model_name,
        model_version,
        max(n_predictions) as n_predictions,
        max(last_ingested_at) as last_ingested_at,
        max(reference_hash) as reference_hash,
        max(schema_hash) as schema_hash
    from {{ this }}
    group by window_date, model_name, model_version
),

windows as (
    {{ vigie.changed_windows('day_states', 'stored_states',
                             ['window_date', 'model_name', 'model_version'],
                             ['n_predictions', 'last_ingested_at', 'reference_hash',
                              'schema_hash']) }}
),
{%- endif %}

day_versions as (
    select * from day_states
    {{ vigie.in_windows_to_rebuild() }}
),

current_values as (
    select * from {{ ref('int_feature_values_typed') }}
    {{ vigie.in_windows_to_rebuild() }}
),

distributions as (
    select * from {{ ref('feature_distributions') }}
    {{ vigie.in_windows_to_rebuild() }}
),

feature_schema as (
    select model_name, feature_name, feature_type from {{ ref('feature_schema') }}
),

current_statistics as (
    select
        window_date,
        model_name,
        model_version,
        feature_name,
        count(value_numeric) + count(value_category) as n_current_values,
        avg(value_numeric) as current_mean,
        {{ vigie.stddev_samp('value_numeric') }} as current_std,
        {{ vigie.summary_quantile_aggregates('value_numeric', 'current') }}
    from current_values
    group by window_date, model_name, model_version, feature_name
),

psi as (
    select
        window_date,
        model_name,
        model_version,
        feature_name,
        sum(psi_contribution) as psi,
        {{ vigie.binned_distance('sum(' ~ vigie.jensenshannon_term('reference_proportion',
                                                                  'current_proportion') ~ ')') }}
            as jensenshannon,
        {{ vigie.binned_distance('sum(' ~ vigie.hellinger_term('reference_proportion',
                                                              'current_proportion') ~ ')') }}
            as hellinger
    from distributions
    group by window_date, model_name, model_version, feature_name
),

final as (
    select
        cast(day_versions.window_date as date) as window_date,
        cast(day_versions.model_name as {{ dbt.type_string() }}) as model_name,
        cast(day_versions.model_version as {{ dbt.type_string() }}) as model_version,
        cast(feature_schema.feature_name as {{ dbt.type_string() }}) as feature_name,
        cast(feature_schema.feature_type as {{ dbt.type_string() }}) as feature_type,
        cast(day_versions.n_predictions as {{ dbt.type_bigint() }}) as n_predictions,
        cast(current_statistics.current_mean as {{ vigie.type_double() }}) as current_mean,
        cast(current_statistics.current_std as {{ vigie.type_double() }}) as current_std,
        cast(
            cast(day_versions.n_predictions - coalesce(current_statistics.n_current_values, 0)
                as {{ vigie.type_double() }}) / day_versions.n_predictions
            as {{ vigie.type_double() }}
        ) as null_rate_current,
        {%- for suffix, fraction in vigie.summary_quantiles() %}
        cast(current_statistics.current_{{ suffix }} as {{ vigie.type_double() }})
            as current_{{ suffix }},
        {%- endfor %}
        cast(psi.psi as {{ vigie.type_double() }}) as psi,
        cast(psi.jensenshannon as {{ vigie.type_double() }}) as jensenshannon,
        cast(psi.hellinger as {{ vigie.type_double() }}) as hellinger,
        cast(day_versions.reference_hash as {{ dbt.type_string() }}) as reference_hash,
        cast(day_versions.schema_hash as {{ dbt.type_string() }}) as schema_hash,
        cast(day_versions.last_ingested_at as {{ dbt.type_timestamp() }}) as last_ingested_at
    from day_versions
    inner join feature_schema on day_versions.model_name = feature_schema.model_name
    left join current_statistics
        on day_versions.window_date = current_statistics.window_date
        and day_versions.model_name = current_statistics.model_name
        and day_versions.model_version = current_statistics.model_version
        and feature_schema.feature_name = current_statistics.feature_name
    left join psi
        on day_versions.window_date = psi.window_date
        and day_versions.model_name = psi.model_name
        and day_versions.model_version = psi.model_version
        and feature_schema.feature_name = psi.feature_name
)

select * from final
