{#- The promotion gate, one row per evaluation × check. Every comparison is guarded by
    vigie.is_finite: a check whose inputs are missing, NaN, infinite or too few to judge is not
    assessable and does not pass (fail closed), and its detail says why, naming the attribute
    and the group. -#}
{%- set n = vigie.gate_number -%}
{%- set finite = vigie.is_finite -%}
{%- set text = dbt.type_string() -%}
with performance as (
    select * from {{ ref('candidate_evaluation_performance') }}
),

fairness as (
    select * from {{ ref('candidate_fairness_summary') }} where evaluation_role = 'candidate'
),

parity as (
    select * from {{ ref('candidate_parity') }} where evaluation_role = 'candidate'
),

importance as (
    select * from {{ ref('feature_importance') }}
),

-- the validation AUC as model_versions shows it (one definition: int_validation_auc)
validation as (
    select * from {{ ref('int_validation_auc') }}
),

thresholds as (
    select
        max(case when threshold_name = 'promotion_delta' then threshold_value end)
            as promotion_delta,
        max(case when threshold_name = 'four_fifths_ratio' then threshold_value end)
            as four_fifths_ratio,
        max(case when threshold_name = 'equalized_odds_bound' then threshold_value end)
            as equalized_odds_bound,
        max(case when threshold_name = 'sensitive_importance_share_max' then threshold_value end)
            as sensitive_importance_share_max,
        max(case when threshold_name = 'sensitive_importance_jump_max' then threshold_value end)
            as sensitive_importance_jump_max,
        max(case when threshold_name = 'validation_auc_floor' then threshold_value end)
            as validation_auc_floor,
        max(case when threshold_name = 'min_group_size' then threshold_value end)
            as min_group_size
    from {{ ref('thresholds') }}
),

-- who is compared in each evaluation, with each role's AUC (null when not assessable)
evaluations as (
    select
        evaluation_id,
        model_name,
        max(case when evaluation_role = 'candidate' then model_version end) as candidate_version,
        max(case when evaluation_role = 'production' then model_version end)
            as production_version,
        max(case when evaluation_role = 'candidate' then roc_auc end) as candidate_auc,
        max(case when evaluation_role = 'production' then roc_auc end) as production_auc,
        max(case when evaluation_role = 'candidate' then not_assessable_reason end)
            as candidate_auc_problem,
        max(case when evaluation_role = 'production' then not_assessable_reason end)
            as production_auc_problem
    from performance
    group by evaluation_id, model_name
),

auc_margin as (
    select
        evaluations.evaluation_id,
        'auc_margin' as check_name,
        evaluations.candidate_auc - evaluations.production_auc as observed,
        thresholds.promotion_delta as bound,
        case
            when evaluations.production_version is null
                then {{ finite('evaluations.candidate_auc') }}
            else {{ finite('evaluations.candidate_auc') }}
                and {{ finite('evaluations.production_auc') }}
                and {{ finite('thresholds.promotion_delta') }}
        end as is_assessable,
        case
            when evaluations.candidate_version is null
                then 'AUC margin not assessable: the evaluation has no candidate scores'
            when not {{ finite('evaluations.candidate_auc') }}
                then 'AUC margin not assessable: candidate AUC '
                    || {{ n('evaluations.candidate_auc') }} || ' ('
                    || coalesce(evaluations.candidate_auc_problem, 'unknown') || ')'
            when evaluations.production_version is null
                then 'no production model: candidate AUC ' || {{ n('evaluations.candidate_auc') }}
            when not {{ finite('evaluations.production_auc') }}
                then 'AUC margin not assessable: production ' || evaluations.production_version
                    || ' AUC ' || {{ n('evaluations.production_auc') }} || ' ('
                    || coalesce(evaluations.production_auc_problem, 'unknown') || ')'
            when not {{ finite('thresholds.promotion_delta') }}
                then 'AUC margin not assessable: promotion_delta is '
                    || {{ n('thresholds.promotion_delta') }}
            when evaluations.candidate_auc - evaluations.production_auc
                >= thresholds.promotion_delta - 1e-9
                then 'candidate AUC ' || {{ n('evaluations.candidate_auc') }}
                    || ' beats production ' || {{ n('evaluations.production_auc') }} || ' by '
                    || {{ n('evaluations.candidate_auc - evaluations.production_auc') }}
                    || ' >= ' || {{ n('thresholds.promotion_delta') }}
            else 'candidate AUC ' || {{ n('evaluations.candidate_auc') }}
                || ' does not beat production ' || {{ n('evaluations.production_auc') }}
                || ' by ' || {{ n('thresholds.promotion_delta') }} || ' (delta '
                || {{ n('evaluations.candidate_auc - evaluations.production_auc') }} || ')'
        end as detail,
        -- the 1e-9 tolerance: a candidate beating production by exactly the delta on paper
        -- (0.82 - 0.81 is 0.00999... in floats) is promoted
        case
            when evaluations.production_version is null then true
            else evaluations.candidate_auc - evaluations.production_auc
                >= thresholds.promotion_delta - 1e-9
        end as meets_bound
    from evaluations
    cross join thresholds
),

-- the extremes of the compared groups' selection rates, for the four-fifths sentence
selection_extremes as (
    select
        evaluation_id,
        attribute,
        group_name,
        selection_rate,
        row_number() over (partition by evaluation_id, attribute
                           order by selection_rate asc, group_name) as rank_low,
        row_number() over (partition by evaluation_id, attribute
                           order by selection_rate desc, group_name) as rank_high
    from parity
    where not is_suppressed and {{ finite('selection_rate') }}
),

-- groups that make an attribute impossible to judge: suppressed ones (too small), compared
-- ones without a finite selection rate, compared ones without finite TPR and FPR
suppressed_groups as (
    select
        evaluation_id,
        attribute,
        {{ dbt.listagg("group_name || ' (' || cast(n_predictions as " ~ text ~ ") || ' rows)'",
                       "', '", "order by group_name") }} as groups
    from parity
    where is_suppressed
    group by evaluation_id, attribute
),

rate_problems as (
    select
        evaluation_id,
        attribute,
        {{ dbt.listagg("'group ' || group_name || ' has selection rate ' || "
                       ~ n('selection_rate'), "'; '", "order by group_name") }} as problems
    from parity
    where not is_suppressed and not {{ finite('selection_rate') }}
    group by evaluation_id, attribute
),

odds_problems as (
    select
        evaluation_id,
        attribute,
        {{ dbt.listagg(
            "'group ' || group_name || case "
            ~ "when coalesce(n_favorable_outcomes, 0) = 0 and coalesce(n_unfavorable_outcomes, 0) = 0 "
            ~ "then ' has no labelled outcomes' "
            ~ "when coalesce(n_unfavorable_outcomes, 0) = 0 then ' has no labelled unfavourable outcomes' "
            ~ "when coalesce(n_favorable_outcomes, 0) = 0 then ' has no labelled favourable outcomes' "
            ~ "else ' has true positive rate ' || " ~ n('true_positive_rate')
            ~ " || ' and false positive rate ' || " ~ n('false_positive_rate') ~ " end",
            "'; '", "order by group_name") }} as problems
    from parity
    where not is_suppressed
        and not ({{ finite('true_positive_rate') }} and {{ finite('false_positive_rate') }})
    group by evaluation_id, attribute
),

attributes as (
    select
        fairness.evaluation_id,
        fairness.attribute,
        fairness.demographic_parity_ratio,
        fairness.true_positive_rate_difference,
        fairness.false_positive_rate_difference,
        fairness.equalized_odds_difference,
        fairness.n_compared_groups >= 2
            and fairness.n_groups_with_selection_rate = fairness.n_compared_groups
            and {{ finite('fairness.demographic_parity_ratio') }}
            and {{ finite('thresholds.four_fifths_ratio') }} as is_four_fifths_assessable,
        fairness.n_compared_groups >= 2
            and fairness.n_groups_with_odds = fairness.n_compared_groups
            and {{ finite('fairness.equalized_odds_difference') }}
            and {{ finite('thresholds.equalized_odds_bound') }} as is_equalized_odds_assessable,
        case
            when fairness.n_compared_groups < 2
                then fairness.attribute || ' has fewer than two groups of at least min_group_size '
                    || {{ n('thresholds.min_group_size', 0) }}
                    || coalesce(' (suppressed: ' || suppressed_groups.groups || ')', '')
        end as too_few_groups,
        rate_problems.problems as rate_problems,
        odds_problems.problems as odds_problems,
        low.group_name as low_group,
        low.selection_rate as low_rate,
        high.group_name as high_group,
        high.selection_rate as high_rate
    from fairness
    cross join thresholds
    left join suppressed_groups
        on fairness.evaluation_id = suppressed_groups.evaluation_id
        and fairness.attribute = suppressed_groups.attribute
    left join rate_problems
        on fairness.evaluation_id = rate_problems.evaluation_id
        and fairness.attribute = rate_problems.attribute
    left join odds_problems
        on fairness.evaluation_id = odds_problems.evaluation_id
        and fairness.attribute = odds_problems.attribute
    left join selection_extremes as low
        on fairness.evaluation_id = low.evaluation_id
        and fairness.attribute = low.attribute
        and low.rank_low = 1
    left join selection_extremes as high
        on fairness.evaluation_id = high.evaluation_id
        and fairness.attribute = high.attribute
        and high.rank_high = 1
),

attribute_verdicts as (
    select
        attributes.*,
        attributes.is_four_fifths_assessable
            and attributes.demographic_parity_ratio >= thresholds.four_fifths_ratio
            as passes_four_fifths,
        attributes.is_equalized_odds_assessable
            and attributes.equalized_odds_difference <= thresholds.equalized_odds_bound
            as passes_equalized_odds,
        case
            when attributes.too_few_groups is not null
                then 'four-fifths rule not assessable: ' || attributes.too_few_groups
            when attributes.rate_problems is not null
                then 'four-fifths rule not assessable for ' || attributes.attribute || ': '
                    || attributes.rate_problems
            when not attributes.is_four_fifths_assessable
                then 'four-fifths rule not assessable for ' || attributes.attribute
                    || ': selection-rate ratio ' || {{ n('attributes.demographic_parity_ratio') }}
                    || ' (every compared group has selection rate 0, or the bound is '
                    || {{ n('thresholds.four_fifths_ratio') }} || ')'
            when attributes.demographic_parity_ratio < thresholds.four_fifths_ratio
                then 'four-fifths rule failed for ' || attributes.attribute || ': ratio '
                    || {{ n('attributes.demographic_parity_ratio', 2) }} || ' < '
                    || {{ n('thresholds.four_fifths_ratio', 2) }} || ' (' || attributes.low_group
                    || ' ' || {{ n('attributes.low_rate', 2) }} || ' vs '
                    || attributes.high_group || ' ' || {{ n('attributes.high_rate', 2) }} || ')'
        end as four_fifths_problem,
        case
            when attributes.too_few_groups is not null
                then 'equalized odds not assessable: ' || attributes.too_few_groups
            when attributes.odds_problems is not null
                then 'equalized odds not assessable for ' || attributes.attribute || ': '
                    || attributes.odds_problems
            when not attributes.is_equalized_odds_assessable
                then 'equalized odds not assessable for ' || attributes.attribute
                    || ': difference ' || {{ n('attributes.equalized_odds_difference') }}
                    || ', bound ' || {{ n('thresholds.equalized_odds_bound') }}
            when attributes.equalized_odds_difference > thresholds.equalized_odds_bound
                then 'equalized odds failed for ' || attributes.attribute || ': difference '
                    || {{ n('attributes.equalized_odds_difference', 2) }} || ' > '
                    || {{ n('thresholds.equalized_odds_bound', 2) }} || ' (TPR difference '
                    || {{ n('attributes.true_positive_rate_difference', 2) }}
                    || ', FPR difference '
                    || {{ n('attributes.false_positive_rate_difference', 2) }} || ')'
        end as equalized_odds_problem
    from attributes
    cross join thresholds
),

fairness_checks as (
    select
        evaluation_id,
        count(*) as n_attributes,
        sum(case when is_four_fifths_assessable then 0 else 1 end) as n_four_fifths_unassessable,
        sum(case when passes_four_fifths then 0 else 1 end) as n_four_fifths_failed,
        min(case when is_four_fifths_assessable then demographic_parity_ratio end)
            as min_demographic_parity_ratio,
        sum(case when is_equalized_odds_assessable then 0 else 1 end)
            as n_equalized_odds_unassessable,
        sum(case when passes_equalized_odds then 0 else 1 end) as n_equalized_odds_failed,
        max(case when is_equalized_odds_assessable then equalized_odds_difference end)
            as max_equalized_odds_difference,
        {{ dbt.listagg('four_fifths_problem', "'; '", 'order by attribute') }}
            as four_fifths_problems,
        {{ dbt.listagg('equalized_odds_problem', "'; '", 'order by attribute') }}
            as equalized_odds_problems
    from attribute_verdicts
    group by evaluation_id
),

four_fifths as (
    select
        evaluations.evaluation_id,
        'four_fifths' as check_name,
        fairness_checks.min_demographic_parity_ratio as observed,
        thresholds.four_fifths_ratio as bound,
        coalesce(fairness_checks.n_attributes > 0
                 and fairness_checks.n_four_fifths_unassessable = 0, false) as is_assessable,
        coalesce(fairness_checks.four_fifths_problems,
                 case when fairness_checks.n_attributes is null
                      then 'four-fifths rule not assessable: no parity rows for the candidate' end,
                 'four-fifths rule holds for every attribute (lowest ratio '
                 || {{ n('fairness_checks.min_demographic_parity_ratio', 2) }} || ' >= '
                 || {{ n('thresholds.four_fifths_ratio', 2) }} || ')') as detail,
        coalesce(fairness_checks.n_four_fifths_failed = 0, false) as meets_bound
    from evaluations
    cross join thresholds
    left join fairness_checks on evaluations.evaluation_id = fairness_checks.evaluation_id
),

equalized_odds as (
    select
        evaluations.evaluation_id,
        'equalized_odds' as check_name,
        fairness_checks.max_equalized_odds_difference as observed,
        thresholds.equalized_odds_bound as bound,
        coalesce(fairness_checks.n_attributes > 0
                 and fairness_checks.n_equalized_odds_unassessable = 0, false) as is_assessable,
        coalesce(fairness_checks.equalized_odds_problems,
                 case when fairness_checks.n_attributes is null
                      then 'equalized odds not assessable: no parity rows for the candidate' end,
                 'equalized odds hold for every attribute (largest difference '
                 || {{ n('fairness_checks.max_equalized_odds_difference', 2) }} || ' <= '
                 || {{ n('thresholds.equalized_odds_bound', 2) }} || ')') as detail,
        coalesce(fairness_checks.n_equalized_odds_failed = 0, false) as meets_bound
    from evaluations
    cross join thresholds
    left join fairness_checks on evaluations.evaluation_id = fairness_checks.evaluation_id
),

shares as (
    select
        model_name,
        model_version,
        count(*) as n_features,
        sum(case when {{ finite('mean_abs_contribution') }} and {{ finite('importance_share') }}
                 then 0 else 1 end) as n_non_finite,
        sum(case when is_sensitive then importance_share else 0 end) as sensitive_share
    from importance
    group by model_name, model_version
),

importance_inputs as (
    select
        evaluations.evaluation_id,
        evaluations.production_version,
        candidate.sensitive_share as candidate_share,
        candidate.n_non_finite as candidate_non_finite,
        candidate.n_features as candidate_features,
        production.sensitive_share as production_share,
        production.n_non_finite as production_non_finite,
        production.n_features as production_features,
        thresholds.sensitive_importance_share_max as share_max,
        thresholds.sensitive_importance_jump_max as jump_max
    from evaluations
    cross join thresholds
    left join shares as candidate
        on evaluations.model_name = candidate.model_name
        and evaluations.candidate_version = candidate.model_version
    left join shares as production
        on evaluations.model_name = production.model_name
        and evaluations.production_version = production.model_version
),

sensitive_importance as (
    select
        evaluation_id,
        'sensitive_importance' as check_name,
        candidate_share as observed,
        share_max as bound,
        coalesce(candidate_non_finite = 0, false)
            and {{ finite('candidate_share') }}
            and {{ finite('share_max') }}
            and {{ finite('jump_max') }}
            and (production_version is null
                 or (coalesce(production_non_finite = 0, false)
                     and {{ finite('production_share') }})) as is_assessable,
        case
            when candidate_features is null
                then 'sensitive importance not assessable: the candidate has no SHAP contributions'
            when candidate_non_finite > 0 or not {{ finite('candidate_share') }}
                then 'sensitive importance not assessable: '
                    || cast(candidate_non_finite as {{ text }})
                    || ' of the candidate''s SHAP importances are null or not finite'
            when production_version is not null and production_features is null
                then 'sensitive importance not assessable: production ' || production_version
                    || ' has no SHAP contributions to compare with'
            when production_version is not null
                and (production_non_finite > 0 or not {{ finite('production_share') }})
                then 'sensitive importance not assessable: production ' || production_version
                    || ' has SHAP importances that are null or not finite'
            when not ({{ finite('share_max') }} and {{ finite('jump_max') }})
                then 'sensitive importance not assessable: bounds '
                    || {{ n('share_max') }} || ' / ' || {{ n('jump_max') }}
            when candidate_share > share_max
                then 'sensitive features carry ' || {{ n('candidate_share', 1, 100) }}
                    || '% of SHAP importance > ' || {{ n('share_max', 1, 100) }} || '%'
            when production_version is not null and candidate_share - production_share > jump_max
                then 'sensitive features'' SHAP share rose from '
                    || {{ n('production_share', 1, 100) }} || '% to '
                    || {{ n('candidate_share', 1, 100) }} || '% (+'
                    || {{ n('candidate_share - production_share', 1, 100) }} || '% > '
                    || {{ n('jump_max', 1, 100) }} || '%)'
            else 'sensitive features carry ' || {{ n('candidate_share', 1, 100) }}
                || '% of SHAP importance (max ' || {{ n('share_max', 1, 100) }} || '%'
                || coalesce(', production ' || {{ n('production_share', 1, 100) }} || '%', '')
                || ')'
        end as detail,
        candidate_share <= share_max
            and (production_version is null or candidate_share - production_share <= jump_max)
            as meets_bound
    from importance_inputs
),

validation_auc_floor as (
    select
        evaluations.evaluation_id,
        'validation_auc_floor' as check_name,
        validation.validation_auc as observed,
        thresholds.validation_auc_floor as bound,
        {{ finite('validation.validation_auc') }}
            and {{ finite('thresholds.validation_auc_floor') }} as is_assessable,
        case
            when validation.model_version is null
                then 'validation AUC not assessable: the candidate has no validation scores'
            when not {{ finite('validation.validation_auc') }}
                then 'validation AUC not assessable: it is '
                    || {{ n('validation.validation_auc') }}
                    || ' (validation set with one class, or not recorded)'
            when validation.validation_auc >= thresholds.validation_auc_floor
                then 'validation AUC ' || {{ n('validation.validation_auc') }} || ' >= floor '
                    || {{ n('thresholds.validation_auc_floor') }}
            else 'validation AUC ' || {{ n('validation.validation_auc') }} || ' < floor '
                || {{ n('thresholds.validation_auc_floor') }}
        end as detail,
        validation.validation_auc >= thresholds.validation_auc_floor as meets_bound
    from evaluations
    cross join thresholds
    left join validation
        on evaluations.model_name = validation.model_name
        and evaluations.candidate_version = validation.model_version
),

checks as (
    select * from auc_margin
    union all
    select * from four_fifths
    union all
    select * from equalized_odds
    union all
    select * from sensitive_importance
    union all
    select * from validation_auc_floor
),

final as (
    select
        cast(checks.evaluation_id as {{ text }}) as evaluation_id,
        cast(evaluations.model_name as {{ text }}) as model_name,
        cast(evaluations.candidate_version as {{ text }}) as candidate_version,
        cast(evaluations.production_version as {{ text }}) as production_version,
        cast(checks.check_name as {{ text }}) as check_name,
        cast(checks.observed as {{ vigie.type_double() }}) as observed,
        cast(checks.bound as {{ vigie.type_double() }}) as bound,
        coalesce(checks.is_assessable, false) as is_assessable,
        -- passed only when assessable: a NaN compares above every number on both engines
        coalesce(checks.is_assessable and checks.meets_bound, false) as passed,
        cast(checks.detail as {{ text }}) as detail
    from checks
    inner join evaluations on checks.evaluation_id = evaluations.evaluation_id
)

select * from final
