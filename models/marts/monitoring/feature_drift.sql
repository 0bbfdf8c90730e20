{{ config(materialized='table') }}
-- Distribution skew per day × model × version × schema feature: that day's values
-- (int_feature_drift_statistics, incremental) against the version's reference sample
-- (int_reference_statistics), the feature's drift test (int_feature_drift_rules): KS,
-- chi-square or Wasserstein as the Python drift step wrote it for the same reference (by hash)
-- and the same predictions (by count), or PSI, Jensen-Shannon or Hellinger over the bins; the
-- Benjamini-Hochberg adjustment of the day's p-values; whether the feature drifted, and for how
-- many days in a row. A test computed against another reference or before late rows arrived
-- is not shown: the mart never puts a new PSI beside an old p-value (the rule falls back to
-- PSI until the test is computed). Rebuilt whole at every build from stored statistics, so an
-- edit of seeds/thresholds.csv or of a drift_test changes past days' verdicts.
with day_statistics as (
    select * from {{ ref('int_feature_drift_statistics') }}
),

statistics as (
    select * from {{ ref('int_reference_statistics') }}
),

drift_tests as (
    select * from {{ ref('stg_raw__drift_tests') }}
),

rules as (
    select * from {{ ref('int_feature_drift_rules') }}
),

thresholds as (
    select
        max(case when threshold_name = 'drift_alpha' then threshold_value end) as drift_alpha,
        max(case when threshold_name = 'drift_effect_size' then threshold_value end)
            as drift_effect_size,
        max(case when threshold_name = 'psi_alert' then threshold_value end) as psi_alert,
        max(case when threshold_name = 'wasserstein_threshold' then threshold_value end)
            as wasserstein_threshold,
        max(case when threshold_name = 'jensenshannon_threshold' then threshold_value end)
            as jensenshannon_threshold,
        max(case when threshold_name = 'hellinger_threshold' then threshold_value end)
            as hellinger_threshold,
        max(case when threshold_name = 'drift_fdr_level' then threshold_value end)
            as drift_fdr_level,
        -- 1 without the row: every drifted day counts, as before the rule existed
        coalesce(max(case when threshold_name = 'drift_consecutive_windows'
            then threshold_value end), 1) as drift_consecutive_windows
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
    inner join rules
        on drift_tests.model_name = rules.model_name
        and drift_tests.model_version = rules.model_version
        and drift_tests.feature_name = rules.feature_name
        and drift_tests.test_name = rules.drift_test
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
        day_statistics.jensenshannon,
        day_statistics.hellinger,
        day_statistics.reference_hash,
        rules.drift_test,
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
    left join rules
        on day_statistics.model_name = rules.model_name
        and day_statistics.model_version = rules.model_version
        and day_statistics.feature_name = rules.feature_name
    left join matching_tests
        on day_statistics.window_date = matching_tests.window_date
        and day_statistics.model_name = matching_tests.model_name
        and day_statistics.model_version = matching_tests.model_version
        and day_statistics.feature_name = matching_tests.feature_name
        and matching_tests.test_rank = 1
),

-- The day's tests with a p-value, ranked for Benjamini-Hochberg: m tests, rank i by p.
pvalue_ranks as (
    select
        window_date,
        model_name,
        model_version,
        feature_name,
        test_pvalue,
        row_number() over (
            partition by window_date, model_name, model_version
            order by test_pvalue, feature_name
        ) as pvalue_rank,
        count(*) over (partition by window_date, model_name, model_version) as n_pvalues
    from joined
    where test_pvalue is not null
),

-- BH: adjusted p of rank i = min over ranks j >= i of p_j * m / j, at most 1
-- (scipy.stats.false_discovery_control(method='bh')).
adjusted_pvalues as (
    select
        window_date,
        model_name,
        model_version,
        feature_name,
        least(1.0, min(test_pvalue * n_pvalues / pvalue_rank) over (
            partition by window_date, model_name, model_version
            order by pvalue_rank desc
            rows between unbounded preceding and current row
        )) as pvalue_adjusted
    from pvalue_ranks
),

ruled as (
    select
        joined.*,
        adjusted_pvalues.pvalue_adjusted,
        -- the rule applied: the feature's test once it is computed, PSI until then
        case
            when joined.drift_test in ('psi', 'jensenshannon', 'hellinger') then joined.drift_test
            when joined.test_name = 'wasserstein' and joined.effect_size is not null
                then 'wasserstein'
            when joined.test_name in ('ks', 'chi_square') and joined.test_pvalue is not null
                and joined.effect_size is not null
                then joined.test_name
            else 'psi'
        end as drift_rule,
        joined.test_pvalue < thresholds.drift_alpha as is_significant_raw,
        case
            when thresholds.drift_fdr_level is null
                then joined.test_pvalue < thresholds.drift_alpha
            else adjusted_pvalues.pvalue_adjusted < thresholds.drift_fdr_level
        end as is_significant
    from joined
    cross join thresholds
    left join adjusted_pvalues
        on joined.window_date = adjusted_pvalues.window_date
        and joined.model_name = adjusted_pvalues.model_name
        and joined.model_version = adjusted_pvalues.model_version
        and joined.feature_name = adjusted_pvalues.feature_name
),

decided as (
    select
        ruled.*,
        coalesce(case ruled.drift_rule
            when 'ks' then ruled.is_significant
                and ruled.effect_size >= thresholds.drift_effect_size
            when 'chi_square' then ruled.is_significant
                and ruled.effect_size >= thresholds.drift_effect_size
            when 'wasserstein' then ruled.effect_size >= thresholds.wasserstein_threshold
            when 'jensenshannon' then ruled.jensenshannon >= thresholds.jensenshannon_threshold
            when 'hellinger' then ruled.hellinger >= thresholds.hellinger_threshold
            else ruled.psi >= thresholds.psi_alert
        end, false) as is_drifted
    from ruled
    cross join thresholds
),

drifted_days as (
    select window_date, model_name, model_version, feature_name from decided
    where is_drifted
),

run_lengths as (
    {{ vigie.days_in_a_row('drifted_days', ['model_name', 'model_version', 'feature_name']) }}
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
        cast(case when ruled.test_name = 'wasserstein' then ruled.test_statistic end
            as {{ vigie.type_double() }}) as wasserstein_distance,
        cast(case when ruled.test_name = 'wasserstein' then ruled.effect_size end
            as {{ vigie.type_double() }}) as wasserstein_normalised,
        cast(ruled.jensenshannon as {{ vigie.type_double() }}) as jensenshannon,
        cast(ruled.hellinger as {{ vigie.type_double() }}) as hellinger,
        cast(ruled.pvalue_adjusted as {{ vigie.type_double() }}) as pvalue_adjusted,
        cast(ruled.drift_test as {{ dbt.type_string() }}) as drift_test,
        ruled.is_significant_raw as is_drifted_raw_pvalue,
        ruled.is_drifted,
        cast(ruled.drift_rule as {{ dbt.type_string() }}) as drift_rule,
        cast(coalesce(run_lengths.days_in_a_row, 0) as {{ dbt.type_bigint() }})
            as drifted_days_in_a_row,
        coalesce(run_lengths.days_in_a_row, 0) >= thresholds.drift_consecutive_windows
            as is_drift_alert,
        cast(ruled.reference_hash as {{ dbt.type_string() }}) as reference_hash,
        cast(ruled.last_ingested_at as {{ dbt.type_timestamp() }}) as last_ingested_at,
        cast(ruled.last_drift_test_at as {{ dbt.type_timestamp() }}) as last_drift_test_at
    from decided as ruled
    cross join thresholds
    left join run_lengths
        on ruled.window_date = run_lengths.window_date
        and ruled.model_name = run_lengths.model_name
        and ruled.model_version = run_lengths.model_version
        and ruled.feature_name = run_lengths.feature_name
)

select * from final
