{{ config(materialized='table') }}
-- Distribution skew per day × model × version × schema feature: that day's values
-- (int_feature_drift_statistics, incremental) against the version's reference sample
-- (int_reference_statistics), the KS or chi-square test the Python drift step wrote for the
-- same reference (by hash) and the same predictions (by count), and whether the feature
-- drifted. A test computed against another reference or before late rows arrived is not
-- shown: the mart never puts a new PSI beside an old p-value (the rule falls back to PSI
-- until the test is computed). Rebuilt whole at every build from stored statistics, so an
-- edit of seeds/thresholds.csv changes past days' verdicts.
with day_statistics as (
    select * from {{ ref('int_feature_drift_statistics') }}
),

statistics as (
    select * from {{ ref('int_reference_statistics') }}
),

drift_tests as (
    select * from {{ ref('stg_raw__drift_tests') }}
),

thresholds as (
    select
        max(case when threshold_name = 'drift_alpha' then threshold_value end) as drift_alpha,
        max(case when threshold_name = 'drift_effect_size' then threshold_value end)
            as drift_effect_size,
        max(case when threshold_name = 'psi_alert' then threshold_value end) as psi_alert
    from {{ ref('thresholds') }}
),

matching_tests as (
    select
        drift_tests.*,
        row_number() over (
            partition by
                drift_tests.window_date,
                drift_tests.model_name,
                drift_tests.model_version,
                drift_tests.feature_name
            order by drift_tests.computed_at desc
        ) as test_rank
    from drift_tests
    inner join day_statistics
        on drift_tests.window_date = day_statistics.window_date
        and drift_tests.model_name = day_statistics.model_name
        and drift_tests.model_version = day_statistics.model_version
        and drift_tests.feature_name = day_statistics.feature_name
        and drift_tests.reference_hash = day_statistics.reference_hash
        and drift_tests.n_predictions = day_statistics.n_predictions
        and drift_tests.test_name = case
            when day_statistics.feature_type = 'categorical' then 'chi_square' else 'ks'
        end
),

joined as (
    select
        day_statistics.window_date,
        day_statistics.model_name,
        day_statistics.model_version,
        day_statistics.feature_name,
        day_statistics.feature_type,
        coalesce(statistics.n_reference, 0) as n_reference,
        day_statistics.n_predictions as n_current,
        statistics.reference_mean,
        day_statistics.current_mean,
        statistics.reference_std,
        day_statistics.current_std,
        statistics.null_rate_reference,
        day_statistics.null_rate_current,
        {%- for suffix, fraction in vigie.summary_quantiles() %}
        statistics.reference_{{ suffix }},
        day_statistics.current_{{ suffix }},
        {%- endfor %}
        day_statistics.psi,
        day_statistics.reference_hash,
        matching_tests.test_name,
        matching_tests.test_statistic,
        matching_tests.effect_size,
        matching_tests.test_pvalue,
        matching_tests.computed_at as last_drift_test_at,
        day_statistics.last_ingested_at
    from day_statistics
    left join statistics
        on day_statistics.model_name = statistics.model_name
        and day_statistics.model_version = statistics.model_version
        and day_statistics.feature_name = statistics.feature_name
    left join matching_tests
        on day_statistics.window_date = matching_tests.window_date
        and day_statistics.model_name = matching_tests.model_name
        and day_statistics.model_version = matching_tests.model_version
        and day_statistics.feature_name = matching_tests.feature_name
        and matching_tests.test_rank = 1
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
        cast(ruled.reference_hash as {{ dbt.type_string() }}) as reference_hash,
        cast(ruled.last_ingested_at as {{ dbt.type_timestamp() }}) as last_ingested_at,
        cast(ruled.last_drift_test_at as {{ dbt.type_timestamp() }}) as last_drift_test_at
    from ruled
    cross join thresholds
)

select * from final
