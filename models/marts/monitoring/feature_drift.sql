{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='window_date',
        on_schema_change='append_new_columns'
    )
}}
-- Distribution skew per day × model × version × schema feature: that day's values against the
-- version's reference sample (summary statistics, PSI from feature_distributions, the KS or
-- chi-square test the Python drift step wrote) and whether the feature drifted. Incremental:
-- days that received predictions, or drift tests, since the last build, and days of a version
-- whose reference sample changed, are rebuilt whole (delete+insert on window_date).
with all_predictions as (
    select window_date, model_name, model_version, ingested_at
    from {{ ref('stg_raw__predictions') }}
),

all_drift_tests as (
    select * from {{ ref('stg_raw__drift_tests') }}
),

statistics as (
    select * from {{ ref('int_reference_statistics') }}
),
{%- if is_incremental() %}

windows as (
    select window_date
    from all_predictions
    where ingested_at > (select max(last_ingested_at) from {{ this }})
    union
    select window_date
    from all_drift_tests
    where computed_at > (
        select coalesce(max(last_drift_test_at), cast('1900-01-01' as {{ dbt.type_timestamp() }}))
        from {{ this }}
    )
    union
    select stored.window_date
    from {{ this }} as stored
    left join statistics
        on stored.model_name = statistics.model_name
        and stored.model_version = statistics.model_version
        and stored.feature_name = statistics.feature_name
    where stored.n_reference <> coalesce(statistics.n_reference, 0)
),
{%- endif %}

predictions as (
    select * from all_predictions
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

drift_tests as (
    select * from all_drift_tests
    {{ vigie.in_windows_to_rebuild() }}
),

feature_schema as (
    select model_name, feature_name, feature_type from {{ ref('feature_schema') }}
),

thresholds as (
    select
        max(case when threshold_name = 'drift_alpha' then threshold_value end) as drift_alpha,
        max(case when threshold_name = 'drift_effect_size' then threshold_value end)
            as drift_effect_size,
        max(case when threshold_name = 'psi_alert' then threshold_value end) as psi_alert
    from {{ ref('thresholds') }}
),

day_versions as (
    select
        window_date,
        model_name,
        model_version,
        count(*) as n_current,
        max(ingested_at) as last_ingested_at
    from predictions
    group by window_date, model_name, model_version
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
        sum(psi_contribution) as psi
    from distributions
    group by window_date, model_name, model_version, feature_name
),

latest_tests as (
    select
        drift_tests.*,
        row_number() over (
            partition by window_date, model_name, model_version, feature_name, test_name
            order by computed_at desc
        ) as test_rank,
        max(computed_at) over (
            partition by window_date, model_name, model_version, feature_name
        ) as last_drift_test_at
    from drift_tests
),

joined as (
    select
        day_versions.window_date,
        day_versions.model_name,
        day_versions.model_version,
        feature_schema.feature_name,
        feature_schema.feature_type,
        coalesce(statistics.n_reference, 0) as n_reference,
        day_versions.n_current,
        statistics.reference_mean,
        current_statistics.current_mean,
        statistics.reference_std,
        current_statistics.current_std,
        statistics.null_rate_reference,
        cast(day_versions.n_current - coalesce(current_statistics.n_current_values, 0)
            as {{ vigie.type_double() }}) / day_versions.n_current as null_rate_current,
        {%- for suffix, fraction in vigie.summary_quantiles() %}
        statistics.reference_{{ suffix }},
        current_statistics.current_{{ suffix }},
        {%- endfor %}
        psi.psi,
        latest_tests.test_name,
        latest_tests.test_statistic,
        latest_tests.effect_size,
        latest_tests.test_pvalue,
        latest_tests.last_drift_test_at,
        day_versions.last_ingested_at
    from day_versions
    inner join feature_schema on day_versions.model_name = feature_schema.model_name
    left join statistics
        on day_versions.model_name = statistics.model_name
        and day_versions.model_version = statistics.model_version
        and feature_schema.feature_name = statistics.feature_name
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
    left join latest_tests
        on day_versions.window_date = latest_tests.window_date
        and day_versions.model_name = latest_tests.model_name
        and day_versions.model_version = latest_tests.model_version
        and feature_schema.feature_name = latest_tests.feature_name
        and latest_tests.test_rank = 1
        and latest_tests.test_name = case
            when feature_schema.feature_type = 'categorical' then 'chi_square' else 'ks'
        end
),

ruled as (
    select
        joined.*,
        joined.test_pvalue is not null
            and case when joined.test_name = 'ks' then joined.test_statistic
                else joined.effect_size end is not null as has_drift_test,
        case when joined.test_name = 'ks' then joined.test_statistic else joined.effect_size end
            as test_effect
    from joined
),

final as (
    select
        cast(ruled.window_date as date) as window_date,
        cast(ruled.model_name as {{ dbt.type_string() }}) as model_name,
        cast(ruled.model_version as {{ dbt.type_string() }}) as model_version,
        cast(ruled.feature_name as {{ dbt.type_string() }}) as feature_name,
        cast(ruled.feature_type as {{ dbt.type_string() }}) as feature_type,
        cast(ruled.n_reference as {{ dbt.type_bigint() }}) as n_reference,
        cast(ruled.n_current as {{ dbt.type_bigint() }}) as n_current,
        cast(ruled.reference_mean as {{ vigie.type_double() }}) as reference_mean,
        cast(ruled.current_mean as {{ vigie.type_double() }}) as current_mean,
        cast(ruled.reference_std as {{ vigie.type_double() }}) as reference_std,
        cast(ruled.current_std as {{ vigie.type_double() }}) as current_std,
        cast(
            case when ruled.reference_std > 0 then ruled.current_std / ruled.reference_std end
            as {{ vigie.type_double() }}
        ) as std_ratio,
        cast(ruled.null_rate_reference as {{ vigie.type_double() }}) as null_rate_reference,
        cast(ruled.null_rate_current as {{ vigie.type_double() }}) as null_rate_current,
        {%- for suffix, fraction in vigie.summary_quantiles() %}
        cast(ruled.reference_{{ suffix }} as {{ vigie.type_double() }}) as reference_{{ suffix }},
        {%- endfor %}
        {%- for suffix, fraction in vigie.summary_quantiles() %}
        cast(ruled.current_{{ suffix }} as {{ vigie.type_double() }}) as current_{{ suffix }},
        {%- endfor %}
        cast(ruled.psi as {{ vigie.type_double() }}) as psi,
        cast(case when ruled.test_name = 'ks' then ruled.test_statistic end
            as {{ vigie.type_double() }}) as ks_statistic,
        cast(case when ruled.test_name = 'ks' then ruled.test_pvalue end
            as {{ vigie.type_double() }}) as ks_pvalue,
        cast(case when ruled.test_name = 'chi_square' then ruled.test_statistic end
            as {{ vigie.type_double() }}) as chi_square_statistic,
        cast(case when ruled.test_name = 'chi_square' then ruled.test_pvalue end
            as {{ vigie.type_double() }}) as chi_square_pvalue,
        cast(case when ruled.test_name = 'chi_square' then ruled.effect_size end
            as {{ vigie.type_double() }}) as cramers_v,
        case
            when ruled.has_drift_test
                then ruled.test_pvalue < thresholds.drift_alpha
                    and ruled.test_effect >= thresholds.drift_effect_size
            else coalesce(ruled.psi >= thresholds.psi_alert, false)
        end as is_drifted,
        cast(case when ruled.has_drift_test then ruled.test_name else 'psi' end
            as {{ dbt.type_string() }}) as drift_rule,
        cast(ruled.last_ingested_at as {{ dbt.type_timestamp() }}) as last_ingested_at,
        cast(ruled.last_drift_test_at as {{ dbt.type_timestamp() }}) as last_drift_test_at
    from ruled
    cross join thresholds
)

select * from final
