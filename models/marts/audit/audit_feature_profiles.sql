-- Each column an audit's two datasets share (same name), one row per audit × column: rows,
-- values and nulls (key absent or JSON null) on each side, null rates and their change, the
-- means of numbers, and the distribution test Vigie's drift marts use (KS for numbers,
-- chi-square with Cramér's V for strings, nulls left out: they have their own check), from
-- raw.audit_tests. A null rate rises when it grows by audit_null_rate_rise and by more than
-- audit_band_sigmas standard errors; a column drifts when p < drift_alpha and the effect size
-- is at least drift_effect_size. No test (a side without values, or types that differ): the
-- drift is not assessable.
with audit_columns as (
    select * from {{ ref('int_audit_columns') }}
),

audit_tests as (
    select * from {{ ref('stg_raw__audit_tests') }}
),

thresholds as (
    select {{ vigie.audit_threshold_columns() }}
    from {{ ref('thresholds') }}
),

paired as (
    select
        baseline.audit_id,
        baseline.column_name,
        baseline.column_type as baseline_type,
        candidate.column_type as candidate_type,
        baseline.n_rows as n_rows_baseline,
        candidate.n_rows as n_rows_candidate,
        baseline.n_values as n_values_baseline,
        candidate.n_values as n_values_candidate,
        baseline.n_null as n_null_baseline,
        candidate.n_null as n_null_candidate,
        {{ vigie.safe_ratio('baseline.n_null', 'baseline.n_rows') }} as null_rate_baseline,
        {{ vigie.safe_ratio('candidate.n_null', 'candidate.n_rows') }} as null_rate_candidate,
        baseline.mean_value as mean_baseline,
        candidate.mean_value as mean_candidate,
        case
            when baseline.column_type = 'number' and candidate.column_type = 'number' then 'ks'
            when baseline.column_type = 'string' and candidate.column_type = 'string'
                then 'chi_square'
        end as test_name
    from audit_columns as baseline
    inner join audit_columns as candidate
        on baseline.audit_id = candidate.audit_id
        and baseline.column_name = candidate.column_name
        and baseline.dataset = 'baseline'
        and candidate.dataset = 'candidate'
),

tested as (
    select
        paired.*,
        null_rate_candidate - null_rate_baseline as null_rate_change,
        {{ vigie.proportion_difference_standard_error('null_rate_baseline', 'n_rows_baseline',
                                                      'null_rate_candidate',
                                                      'n_rows_candidate') }}
            as null_rate_change_standard_error,
        audit_tests.test_statistic,
        audit_tests.test_pvalue,
        audit_tests.effect_size
    from paired
    left join audit_tests
        on paired.audit_id = audit_tests.audit_id
        and paired.column_name = audit_tests.baseline_column
        and paired.column_name = audit_tests.candidate_column
        and paired.test_name = audit_tests.test_name
),

final as (
    select
        cast(tested.audit_id as {{ dbt.type_string() }}) as audit_id,
        cast(tested.column_name as {{ dbt.type_string() }}) as column_name,
        cast(tested.baseline_type as {{ dbt.type_string() }}) as baseline_type,
        cast(tested.candidate_type as {{ dbt.type_string() }}) as candidate_type,
        cast(tested.n_rows_baseline as {{ dbt.type_bigint() }}) as n_rows_baseline,
        cast(tested.n_rows_candidate as {{ dbt.type_bigint() }}) as n_rows_candidate,
        cast(tested.n_values_baseline as {{ dbt.type_bigint() }}) as n_values_baseline,
        cast(tested.n_values_candidate as {{ dbt.type_bigint() }}) as n_values_candidate,
        cast(tested.null_rate_baseline as {{ vigie.type_double() }}) as null_rate_baseline,
        cast(tested.null_rate_candidate as {{ vigie.type_double() }}) as null_rate_candidate,
        cast(tested.null_rate_change as {{ vigie.type_double() }}) as null_rate_change,
        cast(tested.null_rate_change_standard_error as {{ vigie.type_double() }})
            as null_rate_change_standard_error,
        coalesce(tested.null_rate_change >= thresholds.audit_null_rate_rise
            and tested.null_rate_change
                > thresholds.audit_band_sigmas * tested.null_rate_change_standard_error,
            false) as is_null_rise,
        cast(tested.mean_baseline as {{ vigie.type_double() }}) as mean_baseline,
        cast(tested.mean_candidate as {{ vigie.type_double() }}) as mean_candidate,
        cast(tested.test_name as {{ dbt.type_string() }}) as test_name,
        cast(tested.test_statistic as {{ vigie.type_double() }}) as test_statistic,
        cast(tested.test_pvalue as {{ vigie.type_double() }}) as test_pvalue,
        cast(tested.effect_size as {{ vigie.type_double() }}) as effect_size,
        tested.test_pvalue is not null and tested.effect_size is not null
            as is_drift_assessable,
        coalesce(tested.test_pvalue < thresholds.drift_alpha
            and tested.effect_size >= thresholds.drift_effect_size, false) as is_drifted
    from tested
    cross join thresholds
)

select * from final
