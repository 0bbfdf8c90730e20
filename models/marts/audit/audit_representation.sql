-- Representation of every sensitive group in an audit's two datasets, one row per audit ×
-- attribute × group (seeds/sensitive_groups.csv, plus 'unknown' where a row has no group): its
-- rows and share of each dataset and the ratio candidate / baseline; its labelled rows, label
-- rate and unfavourable outcome rate among them on each side. A group is under-represented
-- when its share ratio is below audit_representation_ratio_min and the share fell by more than
-- audit_band_sigmas standard errors; its labels were selected when its label rate ratio is
-- below that bound (same band), or its outcome rate moved by audit_outcome_rate_shift and by
-- more than the band. Fewer than min_group_size rows (or labelled rows, for the outcome rate)
-- on a side, or a dataset without any label, make a check not assessable.
with audits as (
    select * from {{ ref('stg_raw__audits') }}
),

audit_rows as (
    select * from {{ ref('stg_raw__audit_rows') }}
),

row_groups as (
    select * from {{ ref('int_audit_row_groups') }}
),

thresholds as (
    select {{ vigie.audit_threshold_columns() }}
    from {{ ref('thresholds') }}
),

datasets as (
    select
        audit_id,
        dataset,
        count(*) as n_rows,
        sum(case when outcome is not null then 1 else 0 end) as n_outcomes
    from audit_rows
    group by audit_id, dataset
),

configured_groups as (
    select audits.audit_id, bands.attribute, bands.group_name
    from audits
    inner join {{ ref('feature_schema') }} as feature_schema
        on audits.model_name = feature_schema.model_name
        and feature_schema.is_sensitive
    inner join {{ ref('sensitive_groups') }} as bands
        on feature_schema.feature_name = bands.attribute
),

all_groups as (
    select audit_id, attribute, group_name from configured_groups
    union
    select distinct audit_id, attribute, group_name from row_groups
),

group_counts as (
    select
        audit_id,
        dataset,
        attribute,
        group_name,
        count(*) as n_group,
        sum(case when is_labeled then 1 else 0 end) as n_labeled,
        sum(case when is_labeled and is_unfavorable_outcome then 1 else 0 end) as n_unfavorable
    from row_groups
    group by audit_id, dataset, attribute, group_name
),

sides as (
    select
        all_groups.audit_id,
        all_groups.attribute,
        all_groups.group_name,
        baseline_rows.n_rows as n_rows_baseline,
        candidate_rows.n_rows as n_rows_candidate,
        coalesce(baseline_rows.n_outcomes, 0) > 0 and coalesce(candidate_rows.n_outcomes, 0) > 0
            as has_labels,
        coalesce(baseline.n_group, 0) as n_group_baseline,
        coalesce(candidate.n_group, 0) as n_group_candidate,
        coalesce(baseline.n_labeled, 0) as n_labeled_baseline,
        coalesce(candidate.n_labeled, 0) as n_labeled_candidate,
        coalesce(baseline.n_unfavorable, 0) as n_unfavorable_baseline,
        coalesce(candidate.n_unfavorable, 0) as n_unfavorable_candidate
    from all_groups
    inner join datasets as baseline_rows
        on all_groups.audit_id = baseline_rows.audit_id and baseline_rows.dataset = 'baseline'
    inner join datasets as candidate_rows
        on all_groups.audit_id = candidate_rows.audit_id
        and candidate_rows.dataset = 'candidate'
    left join group_counts as baseline
        on all_groups.audit_id = baseline.audit_id
        and all_groups.attribute = baseline.attribute
        and all_groups.group_name = baseline.group_name
        and baseline.dataset = 'baseline'
    left join group_counts as candidate
        on all_groups.audit_id = candidate.audit_id
        and all_groups.attribute = candidate.attribute
        and all_groups.group_name = candidate.group_name
        and candidate.dataset = 'candidate'
),

rates as (
    select
        sides.*,
        {{ vigie.safe_ratio('n_group_baseline', 'n_rows_baseline') }} as share_baseline,
        {{ vigie.safe_ratio('n_group_candidate', 'n_rows_candidate') }} as share_candidate,
        {{ vigie.safe_ratio('n_labeled_baseline', 'n_group_baseline') }} as label_rate_baseline,
        {{ vigie.safe_ratio('n_labeled_candidate', 'n_group_candidate') }}
            as label_rate_candidate,
        {{ vigie.safe_ratio('n_unfavorable_baseline', 'n_labeled_baseline') }}
            as outcome_rate_baseline,
        {{ vigie.safe_ratio('n_unfavorable_candidate', 'n_labeled_candidate') }}
            as outcome_rate_candidate
    from sides
),

compared as (
    select
        rates.*,
        {{ vigie.safe_ratio('share_candidate', 'share_baseline') }} as share_ratio,
        {{ vigie.proportion_difference_standard_error('share_baseline', 'n_rows_baseline',
                                                      'share_candidate',
                                                      'n_rows_candidate') }}
            as share_change_standard_error,
        {{ vigie.safe_ratio('label_rate_candidate', 'label_rate_baseline') }}
            as label_rate_ratio,
        {{ vigie.proportion_difference_standard_error('label_rate_baseline',
                                                      'n_group_baseline',
                                                      'label_rate_candidate',
                                                      'n_group_candidate') }}
            as label_rate_change_standard_error,
        outcome_rate_candidate - outcome_rate_baseline as outcome_rate_change,
        {{ vigie.proportion_difference_standard_error('outcome_rate_baseline',
                                                      'n_labeled_baseline',
                                                      'outcome_rate_candidate',
                                                      'n_labeled_candidate') }}
            as outcome_rate_change_standard_error
    from rates
),

judged as (
    select
        compared.*,
        compared.n_group_baseline >= thresholds.min_group_size as is_share_assessable,
        compared.has_labels
            and compared.n_group_baseline >= thresholds.min_group_size
            and compared.n_group_candidate >= thresholds.min_group_size
            and compared.n_labeled_baseline > 0 as is_label_rate_assessable,
        compared.has_labels
            and compared.n_labeled_baseline >= thresholds.min_group_size
            and compared.n_labeled_candidate >= thresholds.min_group_size
            as is_outcome_rate_assessable,
        coalesce(compared.share_ratio < thresholds.audit_representation_ratio_min
            and compared.share_baseline - compared.share_candidate
                > thresholds.audit_band_sigmas * compared.share_change_standard_error,
            false) as share_fell,
        coalesce(compared.label_rate_ratio < thresholds.audit_representation_ratio_min
            and compared.label_rate_baseline - compared.label_rate_candidate
                > thresholds.audit_band_sigmas * compared.label_rate_change_standard_error,
            false) as label_rate_fell,
        coalesce(abs(compared.outcome_rate_change) >= thresholds.audit_outcome_rate_shift
            and abs(compared.outcome_rate_change)
                > thresholds.audit_band_sigmas * compared.outcome_rate_change_standard_error,
            false) as outcome_rate_moved
    from compared
    cross join thresholds
),

final as (
    select
        cast(audit_id as {{ dbt.type_string() }}) as audit_id,
        cast(attribute as {{ dbt.type_string() }}) as attribute,
        cast(group_name as {{ dbt.type_string() }}) as group_name,
        cast(n_rows_baseline as {{ dbt.type_bigint() }}) as n_rows_baseline,
        cast(n_rows_candidate as {{ dbt.type_bigint() }}) as n_rows_candidate,
        cast(n_group_baseline as {{ dbt.type_bigint() }}) as n_group_baseline,
        cast(n_group_candidate as {{ dbt.type_bigint() }}) as n_group_candidate,
        cast(share_baseline as {{ vigie.type_double() }}) as share_baseline,
        cast(share_candidate as {{ vigie.type_double() }}) as share_candidate,
        cast(share_ratio as {{ vigie.type_double() }}) as share_ratio,
        cast(n_labeled_baseline as {{ dbt.type_bigint() }}) as n_labeled_baseline,
        cast(n_labeled_candidate as {{ dbt.type_bigint() }}) as n_labeled_candidate,
        cast(label_rate_baseline as {{ vigie.type_double() }}) as label_rate_baseline,
        cast(label_rate_candidate as {{ vigie.type_double() }}) as label_rate_candidate,
        cast(label_rate_ratio as {{ vigie.type_double() }}) as label_rate_ratio,
        cast(n_unfavorable_baseline as {{ dbt.type_bigint() }}) as n_unfavorable_baseline,
        cast(n_unfavorable_candidate as {{ dbt.type_bigint() }}) as n_unfavorable_candidate,
        cast(outcome_rate_baseline as {{ vigie.type_double() }}) as outcome_rate_baseline,
        cast(outcome_rate_candidate as {{ vigie.type_double() }}) as outcome_rate_candidate,
        cast(outcome_rate_change as {{ vigie.type_double() }}) as outcome_rate_change,
        is_share_assessable,
        is_share_assessable and share_fell as is_under_represented,
        is_label_rate_assessable,
        is_label_rate_assessable and label_rate_fell as is_label_rate_lower,
        is_outcome_rate_assessable,
        is_outcome_rate_assessable and outcome_rate_moved as is_outcome_rate_shifted
    from judged
)

select * from final
