{#- The promotion gate's AUC margin check, one row per evaluation: the candidate's AUC over
    production's on the same held-out rows, against promotion_delta (fail closed: a missing or
    non-finite AUC is not assessable). -#}
{%- set n = vigie.gate_number -%}
{%- set finite = vigie.is_finite -%}
{%- set text = dbt.type_string() -%}
with evaluations as (
    select * from {{ ref('int_gate_evaluations') }}
),

thresholds as (
    {{ vigie.gate_thresholds(ref('thresholds')) }}
),

final as (
    select
        evaluations.evaluation_id,
        'auc_margin' as check_name,
        evaluations.candidate_auc - evaluations.production_auc as observed,
        cast(null as {{ vigie.type_double() }}) as ci_low,
        cast(null as {{ vigie.type_double() }}) as ci_high,
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
        end as meets_bound,
        cast(null as {{ text }}) as groups_too_small,
        -- production is not judged on a margin over itself
        cast(null as {{ vigie.type_double() }}) as production_observed,
        cast(null as {{ vigie.type_double() }}) as production_ci_low,
        cast(null as {{ vigie.type_double() }}) as production_ci_high,
        cast(null as boolean) as production_is_assessable,
        cast(null as boolean) as production_meets_bound,
        cast(null as {{ text }}) as production_detail
    from evaluations
    cross join thresholds
)

select * from final
