{#- What the schema-generated fuzz cases of a model version show (raw.model_fuzz_scores, from
    `vigie fuzz` or the candidate_fuzz step), one row per model × version × check × attribute:
    score_in_range (every score finite and in [0, 1]; attribute 'all'), score_stability (per
    number feature: the largest score change of a small step inside the bounds, against
    fuzz_score_step_tolerance), monotone (per feature declared monotone in feature_schema: the
    share of steps that move the score against the declared direction, against
    fuzz_monotone_violation_rate_max) and counterfactual_flip_rate (per sensitive attribute:
    the share of counterfactuals, the same case in another group, whose decision differs from
    the case's, against fuzz_counterfactual_flip_rate_max). A score rises with the risk of the
    unfavourable outcome, so `increasing` means more of the feature, more risk. A check whose
    bound is empty has passed null; a check without cases or with a non-finite number fails. -#}
{%- set n = vigie.gate_number -%}
{%- set finite = vigie.is_finite -%}
{%- set double = vigie.type_double() -%}
{%- set text = dbt.type_string() -%}
with scores as (
    select * from {{ ref('stg_raw__model_fuzz_scores') }}
),

feature_schema as (
    select * from {{ ref('feature_schema') }}
),

thresholds as (
    select
        max(case when threshold_name = 'fuzz_score_step_tolerance' then threshold_value end)
            as step_tolerance,
        max(case when threshold_name = 'fuzz_monotone_violation_rate_max'
                 then threshold_value end) as monotone_violation_rate_max,
        max(case when threshold_name = 'fuzz_counterfactual_flip_rate_max'
                 then threshold_value end) as flip_rate_max
    from {{ ref('thresholds') }}
),

-- each step or counterfactual beside the case it perturbs
pairs as (
    select
        perturbed.model_name,
        perturbed.model_version,
        perturbed.case_kind,
        perturbed.perturbed_feature,
        perturbed.perturbation,
        perturbed.score - base.score as score_change,
        -- a missing decision on either side counts as a flip (fail closed)
        case when perturbed.decision = base.decision then 0 else 1 end as is_flip
    from scores as perturbed
    inner join scores as base
        on perturbed.model_name = base.model_name
        and perturbed.model_version = base.model_version
        and perturbed.base_case_id = base.case_id
    where perturbed.case_kind in ('step', 'counterfactual')
),

score_range as (
    select
        model_name,
        model_version,
        'score_in_range' as check_name,
        'all' as attribute,
        count(*) as n_cases,
        sum(case when {{ finite('score') }} and score >= 0 and score <= 1 then 0 else 1 end)
            as n_failures,
        cast(0 as {{ double }}) as bound
    from scores
    group by model_name, model_version
),

stability as (
    select
        pairs.model_name,
        pairs.model_version,
        'score_stability' as check_name,
        pairs.perturbed_feature as attribute,
        count(*) as n_cases,
        sum(case when {{ finite('pairs.score_change') }}
                 and abs(pairs.score_change) <= thresholds.step_tolerance then 0 else 1 end)
            as n_failures,
        -- NaN sorts above every number on DuckDB and PostgreSQL: a non-finite change shows
        max(abs(pairs.score_change)) as largest_change,
        max(thresholds.step_tolerance) as bound
    from pairs
    cross join thresholds
    where pairs.case_kind = 'step'
    group by pairs.model_name, pairs.model_version, pairs.perturbed_feature
),

monotone_steps as (
    select
        pairs.model_name,
        pairs.model_version,
        pairs.perturbed_feature,
        feature_schema.monotone,
        -- the score change per step up: a step down moves the other way
        case when pairs.perturbation = 'up' then pairs.score_change else -pairs.score_change end
            * case when feature_schema.monotone = 'increasing' then 1 else -1 end
            as change_along_direction
    from pairs
    inner join feature_schema
        on pairs.model_name = feature_schema.model_name
        and pairs.perturbed_feature = feature_schema.feature_name
    where pairs.case_kind = 'step'
        and feature_schema.monotone in ('increasing', 'decreasing')
),

monotone as (
    select
        monotone_steps.model_name,
        monotone_steps.model_version,
        'monotone' as check_name,
        monotone_steps.perturbed_feature as attribute,
        max(monotone_steps.monotone) as direction,
        count(*) as n_cases,
        sum(case when {{ finite('monotone_steps.change_along_direction') }}
                 and monotone_steps.change_along_direction >= 0 then 0 else 1 end)
            as n_failures,
        min(monotone_steps.change_along_direction) as largest_reversal,
        max(thresholds.monotone_violation_rate_max) as bound
    from monotone_steps
    cross join thresholds
    group by monotone_steps.model_name, monotone_steps.model_version,
        monotone_steps.perturbed_feature
),

counterfactual as (
    select
        pairs.model_name,
        pairs.model_version,
        'counterfactual_flip_rate' as check_name,
        pairs.perturbed_feature as attribute,
        count(*) as n_cases,
        sum(pairs.is_flip) as n_failures,
        avg(abs(pairs.score_change)) as mean_abs_change,
        max(thresholds.flip_rate_max) as bound
    from pairs
    cross join thresholds
    where pairs.case_kind = 'counterfactual'
    group by pairs.model_name, pairs.model_version, pairs.perturbed_feature
),

checks as (
    select
        model_name, model_version, check_name, attribute, n_cases, n_failures,
        cast(n_failures as {{ double }}) as observed, bound,
        'scores not finite or outside [0, 1]: ' || cast(n_failures as {{ text }}) || ' of '
            || cast(n_cases as {{ text }}) || ' cases' as detail
    from score_range
    union all
    select
        model_name, model_version, check_name, attribute, n_cases, n_failures,
        largest_change as observed, bound,
        'largest score change of a small step of ' || attribute || ': '
            || {{ n('largest_change') }} || ' (tolerance ' || {{ n('bound') }} || '; '
            || cast(n_failures as {{ text }}) || ' of ' || cast(n_cases as {{ text }})
            || ' steps beyond it)' as detail
    from stability
    union all
    select
        model_name, model_version, check_name, attribute, n_cases, n_failures,
        cast(n_failures as {{ double }}) / n_cases as observed, bound,
        attribute || ' declared ' || direction || ': ' || cast(n_failures as {{ text }})
            || ' of ' || cast(n_cases as {{ text }})
            || ' steps move the score the other way (largest by '
            || {{ n('-largest_reversal') }} || ')' as detail
    from monotone
    union all
    select
        model_name, model_version, check_name, attribute, n_cases, n_failures,
        cast(n_failures as {{ double }}) / n_cases as observed, bound,
        'changing only ' || attribute || ' flips the decision in '
            || cast(n_failures as {{ text }}) || ' of ' || cast(n_cases as {{ text }})
            || ' counterfactuals (mean score change ' || {{ n('mean_abs_change') }} || ')'
            as detail
    from counterfactual
),

final as (
    select
        cast(model_name as {{ text }}) as model_name,
        cast(model_version as {{ text }}) as model_version,
        cast(check_name as {{ text }}) as check_name,
        cast(attribute as {{ text }}) as attribute,
        cast(n_cases as {{ dbt.type_bigint() }}) as n_cases,
        cast(n_failures as {{ dbt.type_bigint() }}) as n_failures,
        cast(observed as {{ double }}) as observed,
        cast(bound as {{ double }}) as bound,
        coalesce(n_cases > 0 and {{ finite('observed') }}, false) as is_assessable,
        case
            when bound is null then cast(null as boolean)
            else coalesce(n_cases > 0 and {{ finite('observed') }} and {{ finite('bound') }}
                          and observed <= bound, false)
        end as passed,
        cast(detail || case when bound is null then ' (no bound: not judged)' else '' end
             as {{ text }}) as detail
    from checks
)

select * from final
