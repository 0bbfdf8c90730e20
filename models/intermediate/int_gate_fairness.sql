{{ config(materialized=vigie.long_view_materialization()) }}

-- The promotion gate's fairness pair (four_fifths, equalized_odds), one row per evaluation ×
-- check: the candidate's verdict, point estimate, interval and detail (macros/gate/
-- gate_fairness_checks), and the same check applied to production on the same held-out rows.
with evaluations as (
    select * from {{ ref('int_gate_evaluations') }}
),

fairness as (
    select * from {{ ref('candidate_fairness_summary') }}
),

parity as (
    select * from {{ ref('candidate_parity') }}
),

gate_thresholds as (
    {{ vigie.gate_thresholds(ref('thresholds')) }}
),

candidate as (
    {{ vigie.gate_fairness_checks('candidate') }}
),

production as (
    {{ vigie.gate_fairness_checks('production') }}
),

final as (
    select
        candidate.evaluation_id,
        candidate.check_name,
        candidate.observed,
        candidate.ci_low,
        candidate.ci_high,
        candidate.bound,
        candidate.is_assessable,
        candidate.detail,
        candidate.meets_bound,
        candidate.groups_too_small,
        case when evaluations.production_version is not null then production.observed end
            as production_observed,
        case when evaluations.production_version is not null then production.ci_low end
            as production_ci_low,
        case when evaluations.production_version is not null then production.ci_high end
            as production_ci_high,
        case when evaluations.production_version is not null then production.is_assessable end
            as production_is_assessable,
        case when evaluations.production_version is not null then production.meets_bound end
            as production_meets_bound,
        case when evaluations.production_version is not null then production.detail end
            as production_detail
    from candidate
    inner join evaluations on candidate.evaluation_id = evaluations.evaluation_id
    left join production
        on candidate.evaluation_id = production.evaluation_id
        and candidate.check_name = production.check_name
)

select * from final
