-- The audit's verdict, one row per audit × check: every column's schema change, null rate and
-- distribution test (audit_schema_changes, audit_feature_profiles) and every sensitive group's
-- share, label rate and outcome rate (audit_representation), each with the numbers behind it,
-- its bound, whether it could be assessed and whether it passed. A check that cannot be
-- assessed does not pass (fail closed). `vigie audit` prints the rows that did not pass and,
-- with --fail-on, exits 1 when one of the chosen kinds is among them.
with audits as (
    select * from {{ ref('stg_raw__audits') }}
),

schema_changes as (
    select * from {{ ref('audit_schema_changes') }}
),

profiles as (
    select * from {{ ref('audit_feature_profiles') }}
),

representation as (
    select * from {{ ref('audit_representation') }}
),

thresholds as (
    select {{ vigie.audit_threshold_columns() }}
    from {{ ref('thresholds') }}
),

schema_findings as (
    select
        audit_id,
        'schema' as finding_kind,
        column_name as subject,
        'column' as check_name,
        schema_change as finding,
        case schema_change
            when 'renamed' then 'renamed to ' || renamed_to
            when 'gone' then 'was ' || baseline_type
            when 'new' then candidate_type
            when 'type_changed' then baseline_type || ' -> ' || candidate_type
            else baseline_type
        end as detail,
        cast(null as {{ vigie.type_double() }}) as baseline_value,
        cast(null as {{ vigie.type_double() }}) as candidate_value,
        rename_effect_size as observed_value,
        case when schema_change = 'renamed' then thresholds.audit_rename_max_effect_size end
            as bound,
        true as is_assessable,
        schema_change = 'unchanged' as passed
    from schema_changes
    cross join thresholds
    -- a rename is one finding, on the gone column's row
    where renamed_from is null
),

null_findings as (
    select
        audit_id,
        'nulls' as finding_kind,
        column_name as subject,
        'null_rate' as check_name,
        case when is_null_rise then 'null_rise' else 'ok' end as finding,
        'null rate' as detail,
        null_rate_baseline as baseline_value,
        null_rate_candidate as candidate_value,
        null_rate_change as observed_value,
        thresholds.audit_null_rate_rise as bound,
        true as is_assessable,
        not is_null_rise as passed
    from profiles
    cross join thresholds
),

drift_findings as (
    select
        audit_id,
        'drift' as finding_kind,
        column_name as subject,
        coalesce(test_name, 'none') as check_name,
        case
            when not is_drift_assessable then 'not_assessable'
            when is_drifted then 'drifted'
            else 'ok'
        end as finding,
        case
            when test_name is null then 'no common type with values on both sides ('
                || baseline_type || ', ' || candidate_type || ')'
            when not is_drift_assessable then 'no test result'
            when test_name = 'ks' then 'KS statistic'
            else 'Cramér''s V'
        end as detail,
        mean_baseline as baseline_value,
        mean_candidate as candidate_value,
        effect_size as observed_value,
        thresholds.drift_effect_size as bound,
        is_drift_assessable as is_assessable,
        is_drift_assessable and not is_drifted as passed
    from profiles
    cross join thresholds
),

share_findings as (
    select
        audit_id,
        'representation' as finding_kind,
        attribute || '=' || group_name as subject,
        'share' as check_name,
        case
            when not is_share_assessable then 'not_assessable'
            when is_under_represented then 'under_represented'
            else 'ok'
        end as finding,
        case when is_share_assessable then 'share of rows'
            else 'fewer baseline rows than min_group_size' end as detail,
        share_baseline as baseline_value,
        share_candidate as candidate_value,
        share_ratio as observed_value,
        thresholds.audit_representation_ratio_min as bound,
        is_share_assessable as is_assessable,
        is_share_assessable and not is_under_represented as passed
    from representation
    cross join thresholds
),

label_rate_findings as (
    select
        audit_id,
        'labels' as finding_kind,
        attribute || '=' || group_name as subject,
        'label_rate' as check_name,
        case
            when not is_label_rate_assessable then 'not_assessable'
            when is_label_rate_lower then 'label_rate_lower'
            else 'ok'
        end as finding,
        case when is_label_rate_assessable then 'share of rows labelled'
            else 'no labels, or fewer rows than min_group_size' end as detail,
        label_rate_baseline as baseline_value,
        label_rate_candidate as candidate_value,
        label_rate_ratio as observed_value,
        thresholds.audit_representation_ratio_min as bound,
        is_label_rate_assessable as is_assessable,
        is_label_rate_assessable and not is_label_rate_lower as passed
    from representation
    cross join thresholds
),

outcome_rate_findings as (
    select
        audit_id,
        'labels' as finding_kind,
        attribute || '=' || group_name as subject,
        'outcome_rate' as check_name,
        case
            when not is_outcome_rate_assessable then 'not_assessable'
            when is_outcome_rate_shifted then 'outcome_rate_shifted'
            else 'ok'
        end as finding,
        case when is_outcome_rate_assessable then 'unfavourable outcomes among labels'
            else 'fewer labelled rows than min_group_size' end as detail,
        outcome_rate_baseline as baseline_value,
        outcome_rate_candidate as candidate_value,
        outcome_rate_change as observed_value,
        thresholds.audit_outcome_rate_shift as bound,
        is_outcome_rate_assessable as is_assessable,
        is_outcome_rate_assessable and not is_outcome_rate_shifted as passed
    from representation
    cross join thresholds
),

all_findings as (
    select * from schema_findings
    union all
    select * from null_findings
    union all
    select * from drift_findings
    union all
    select * from share_findings
    union all
    select * from label_rate_findings
    union all
    select * from outcome_rate_findings
),

final as (
    select
        cast(all_findings.audit_id as {{ dbt.type_string() }}) as audit_id,
        cast(audits.created_at as {{ dbt.type_timestamp() }}) as audited_at,
        cast(all_findings.finding_kind as {{ dbt.type_string() }}) as finding_kind,
        cast(all_findings.subject as {{ dbt.type_string() }}) as subject,
        cast(all_findings.check_name as {{ dbt.type_string() }}) as check_name,
        cast(all_findings.finding as {{ dbt.type_string() }}) as finding,
        cast(all_findings.detail as {{ dbt.type_string() }}) as detail,
        cast(all_findings.baseline_value as {{ vigie.type_double() }}) as baseline_value,
        cast(all_findings.candidate_value as {{ vigie.type_double() }}) as candidate_value,
        cast(all_findings.observed_value as {{ vigie.type_double() }}) as observed_value,
        cast(all_findings.bound as {{ vigie.type_double() }}) as bound,
        all_findings.is_assessable,
        all_findings.passed
    from all_findings
    inner join audits on all_findings.audit_id = audits.audit_id
)

select * from final
