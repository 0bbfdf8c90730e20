{{
    config(
        materialized='incremental',
        on_schema_change='append_new_columns',
        **vigie.day_incremental_config('window_date')
    )
}}
-- Binned distributions per day × model × version × schema feature × bin, reference beside
-- current, with the PSI bins (models/intermediate/int_reference_bins.sql): numeric bins cut at
-- the reference deciles over non-null values; categorical bins are the categories of either
-- side, null as '__null__', over all rows; the predictions of the build's snapshot only.
-- Incremental: a day is rebuilt whole (by day: vigie.day_incremental_config) when a version's
-- prediction count or latest ingested_at differs from the stored one (new or late rows), or
-- its reference sample or the model's schema changed (by hash) since it was stored.
{%- set edge_columns = [] %}
{%- for fraction in vigie.psi_edge_fractions() %}
    {%- do edge_columns.append('statistics.psi_edge_' ~ loop.index) %}
{%- endfor %}
with snapshot as (
    select * from {{ ref('int_monitoring_snapshot') }}
),

reference_versions as (
    select * from {{ ref('int_reference_versions') }}
),

configuration as (
    select * from {{ ref('int_model_configuration') }}
),

reference_bins as (
    select * from {{ ref('int_reference_bins') }}
),

statistics as (
    select * from {{ ref('int_reference_statistics') }}
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

current_values as (
    select * from {{ ref('int_feature_values_typed') }}
    {{ vigie.in_windows_to_rebuild() }}
),

feature_schema as (
    select model_name, feature_name, feature_type from {{ ref('feature_schema') }}
),

day_versions as (
    select * from day_states
    {{ vigie.in_windows_to_rebuild() }}
),

numeric_current as (
    select
        current_values.window_date,
        current_values.model_name,
        current_values.model_version,
        current_values.feature_name,
        {{ vigie.psi_bin_index('current_values.value_numeric', edge_columns) }} as bin_index,
        count(*) as n_current
    from current_values
    inner join statistics
        on current_values.model_name = statistics.model_name
        and current_values.model_version = statistics.model_version
        and current_values.feature_name = statistics.feature_name
    where current_values.value_numeric is not null
    group by
        current_values.window_date,
        current_values.model_name,
        current_values.model_version,
        current_values.feature_name,
        {{ vigie.psi_bin_index('current_values.value_numeric', edge_columns) }}
),

numeric_bins as (
    select
        day_versions.window_date,
        reference_bins.model_name,
        reference_bins.model_version,
        reference_bins.feature_name,
        reference_bins.feature_type,
        reference_bins.bin_index,
        reference_bins.category_value,
        reference_bins.lower_bound,
        reference_bins.upper_bound,
        reference_bins.n_reference,
        coalesce(numeric_current.n_current, 0) as n_current,
        day_versions.n_predictions,
        day_versions.reference_hash,
        day_versions.schema_hash,
        day_versions.last_ingested_at
    from day_versions
    inner join reference_bins
        on day_versions.model_name = reference_bins.model_name
        and day_versions.model_version = reference_bins.model_version
    left join numeric_current
        on day_versions.window_date = numeric_current.window_date
        and reference_bins.model_name = numeric_current.model_name
        and reference_bins.model_version = numeric_current.model_version
        and reference_bins.feature_name = numeric_current.feature_name
        and reference_bins.bin_index = numeric_current.bin_index
    where reference_bins.feature_type in ('numeric', 'integer')
),

categorical_features as (
    select
        day_versions.window_date,
        day_versions.model_name,
        day_versions.model_version,
        feature_schema.feature_name,
        feature_schema.feature_type,
        day_versions.n_predictions,
        day_versions.reference_hash,
        day_versions.schema_hash,
        day_versions.last_ingested_at
    from day_versions
    inner join feature_schema on day_versions.model_name = feature_schema.model_name
    where feature_schema.feature_type = 'categorical'
),

category_current as (
    select
        window_date,
        model_name,
        model_version,
        feature_name,
        value_category as category_value,
        count(*) as n_current
    from current_values
    where value_category is not null
    group by window_date, model_name, model_version, feature_name, value_category
),

category_current_with_nulls as (
    select * from category_current
    union all
    select
        categorical_features.window_date,
        categorical_features.model_name,
        categorical_features.model_version,
        categorical_features.feature_name,
        {{ vigie.psi_null_category() }} as category_value,
        categorical_features.n_predictions - coalesce(sum(category_current.n_current), 0)
            as n_current
    from categorical_features
    left join category_current
        on categorical_features.window_date = category_current.window_date
        and categorical_features.model_name = category_current.model_name
        and categorical_features.model_version = category_current.model_version
        and categorical_features.feature_name = category_current.feature_name
    group by
        categorical_features.window_date,
        categorical_features.model_name,
        categorical_features.model_version,
        categorical_features.feature_name,
        categorical_features.n_predictions
    having categorical_features.n_predictions - coalesce(sum(category_current.n_current), 0) > 0
),

category_keys as (
    select
        categorical_features.window_date,
        categorical_features.model_name,
        categorical_features.model_version,
        categorical_features.feature_name,
        reference_bins.category_value
    from categorical_features
    inner join reference_bins
        on categorical_features.model_name = reference_bins.model_name
        and categorical_features.model_version = reference_bins.model_version
        and categorical_features.feature_name = reference_bins.feature_name
    union
    select window_date, model_name, model_version, feature_name, category_value
    from category_current_with_nulls
),

categorical_bins as (
    select
        category_keys.window_date,
        category_keys.model_name,
        category_keys.model_version,
        category_keys.feature_name,
        categorical_features.feature_type,
        cast(null as {{ dbt.type_int() }}) as bin_index,
        category_keys.category_value,
        cast(null as {{ vigie.type_double() }}) as lower_bound,
        cast(null as {{ vigie.type_double() }}) as upper_bound,
        coalesce(reference_bins.n_reference, 0) as n_reference,
        coalesce(category_current_with_nulls.n_current, 0) as n_current,
        categorical_features.n_predictions,
        categorical_features.reference_hash,
        categorical_features.schema_hash,
        categorical_features.last_ingested_at
    from category_keys
    inner join categorical_features
        on category_keys.window_date = categorical_features.window_date
        and category_keys.model_name = categorical_features.model_name
        and category_keys.model_version = categorical_features.model_version
        and category_keys.feature_name = categorical_features.feature_name
    left join reference_bins
        on category_keys.model_name = reference_bins.model_name
        and category_keys.model_version = reference_bins.model_version
        and category_keys.feature_name = reference_bins.feature_name
        and category_keys.category_value = reference_bins.category_value
    left join category_current_with_nulls
        on category_keys.window_date = category_current_with_nulls.window_date
        and category_keys.model_name = category_current_with_nulls.model_name
        and category_keys.model_version = category_current_with_nulls.model_version
        and category_keys.feature_name = category_current_with_nulls.feature_name
        and category_keys.category_value = category_current_with_nulls.category_value
),

all_bins as (
    select * from numeric_bins
    union all
    select * from categorical_bins
),

proportions as (
    select
        all_bins.*,
        sum(n_reference) over (
            partition by window_date, model_name, model_version, feature_name
        ) as n_reference_total,
        sum(n_current) over (
            partition by window_date, model_name, model_version, feature_name
        ) as n_current_total
    from all_bins
),

shares as (
    select
        proportions.*,
        case
            when n_reference_total > 0
                then cast(n_reference as {{ vigie.type_double() }}) / n_reference_total
        end as reference_proportion,
        case
            when n_current_total > 0
                then cast(n_current as {{ vigie.type_double() }}) / n_current_total
        end as current_proportion
    from proportions
),

final as (
    select
        cast(window_date as date) as window_date,
        cast(model_name as {{ dbt.type_string() }}) as model_name,
        cast(model_version as {{ dbt.type_string() }}) as model_version,
        cast(feature_name as {{ dbt.type_string() }}) as feature_name,
        cast(feature_type as {{ dbt.type_string() }}) as feature_type,
        cast(
            case
                when bin_index is null then category_value
                else {{ dbt.concat(["'bin '", "lpad(cast(bin_index as " ~ dbt.type_string() ~ "), 2, '0')"]) }}
            end as {{ dbt.type_string() }}
        ) as bin_label,
        cast(bin_index as {{ dbt.type_int() }}) as bin_index,
        cast(category_value as {{ dbt.type_string() }}) as category_value,
        cast(lower_bound as {{ vigie.type_double() }}) as lower_bound,
        cast(upper_bound as {{ vigie.type_double() }}) as upper_bound,
        cast(n_reference as {{ dbt.type_bigint() }}) as n_reference,
        cast(n_current as {{ dbt.type_bigint() }}) as n_current,
        cast(reference_proportion as {{ vigie.type_double() }}) as reference_proportion,
        cast(current_proportion as {{ vigie.type_double() }}) as current_proportion,
        cast({{ vigie.psi_term('reference_proportion', 'current_proportion') }}
            as {{ vigie.type_double() }}) as psi_contribution,
        cast(n_predictions as {{ dbt.type_bigint() }}) as n_predictions,
        cast(reference_hash as {{ dbt.type_string() }}) as reference_hash,
        cast(schema_hash as {{ dbt.type_string() }}) as schema_hash,
        cast(last_ingested_at as {{ dbt.type_timestamp() }}) as last_ingested_at
    from shares
)

select * from final
