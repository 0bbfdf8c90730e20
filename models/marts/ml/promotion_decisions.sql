-- One row per promotion decision (registry events promoted, blocked, skipped): the candidate,
-- the production version it was compared with on the same held-out rows, both AUCs and their
-- delta, each gate's numbers as recomputed from the marts the gate reads, and the decision
-- with the gate's own reasons. The decision and reasons are authoritative: a gate check that
-- errored blocks the promotion even when the recomputed numbers would pass.
with registry as (
    select * from {{ ref('stg_raw__model_registry') }}
),

evaluation_scores as (
    select * from {{ ref('stg_raw__evaluation_scores') }}
),

fairness as (
    select * from {{ ref('candidate_fairness_summary') }}
),

versions as (
    select * from {{ ref('model_versions') }}
),

outcomes as (
    select model_name, value as outcome, is_favorable
    from {{ ref('outcomes') }}
    where value_kind = 'outcome'
),

thresholds as (
    select
        max(case when threshold_name = 'promotion_delta' then threshold_value end)
            as promotion_delta,
        max(case when threshold_name = 'validation_auc_floor' then threshold_value end)
            as validation_auc_floor,
        max(case when threshold_name = 'sensitive_importance_share_max' then threshold_value end)
            as sensitive_importance_share_max,
        max(case when threshold_name = 'sensitive_importance_jump_max' then threshold_value end)
            as sensitive_importance_jump_max
    from {{ ref('thresholds') }}
),

decisions as (
    select * from registry where registry_event in ('promoted', 'blocked', 'skipped')
),

evaluations as (
    select
        evaluation_id,
        model_name,
        max(case when evaluation_role = 'candidate' then model_version end) as candidate_version,
        max(case when evaluation_role = 'production' then model_version end)
            as production_version,
        max(scored_at) as evaluated_at,
        count(*) as n_scores
    from evaluation_scores
    group by evaluation_id, model_name
),

latest_evaluation as (
    select
        decisions.registry_event_id,
        evaluations.evaluation_id,
        evaluations.production_version,
        row_number() over (
            partition by decisions.registry_event_id order by evaluations.evaluated_at desc
        ) as evaluation_rank
    from decisions
    inner join evaluations
        on decisions.model_name = evaluations.model_name
        and decisions.model_version = evaluations.candidate_version
        and evaluations.evaluated_at <= decisions.recorded_at
),

labelled_scores as (
    select
        evaluation_scores.evaluation_id,
        evaluation_scores.evaluation_role,
        evaluation_scores.score,
        case when outcomes.is_favorable then 0 else 1 end as is_positive
    from evaluation_scores
    inner join outcomes
        on evaluation_scores.model_name = outcomes.model_name
        and evaluation_scores.outcome = outcomes.outcome
),

auc as (
    {{ vigie.roc_auc_from('labelled_scores', ['evaluation_id', 'evaluation_role'],
                          'score', 'is_positive') }}
),

candidate_fairness as (
    select
        evaluation_id,
        min(demographic_parity_ratio) as min_demographic_parity_ratio,
        max(equalized_odds_difference) as max_equalized_odds_difference,
        min(case when passes_four_fifths_rule then 1 else 0 end) as four_fifths_flag,
        min(case when passes_equalized_odds then 1 else 0 end) as equalized_odds_flag
    from fairness
    where evaluation_role = 'candidate'
    group by evaluation_id
),

joined as (
    select
        decisions.registry_event_id as decision_id,
        decisions.model_name,
        decisions.model_version as candidate_version,
        latest_evaluation.production_version,
        latest_evaluation.evaluation_id,
        decisions.recorded_at as decided_at,
        candidate_auc.roc_auc as candidate_auc,
        production_auc.roc_auc as production_auc,
        thresholds.promotion_delta,
        candidate_fairness.min_demographic_parity_ratio,
        candidate_fairness.four_fifths_flag,
        candidate_fairness.max_equalized_odds_difference,
        candidate_fairness.equalized_odds_flag,
        candidate.sensitive_importance_share,
        production.sensitive_importance_share as production_sensitive_importance_share,
        thresholds.sensitive_importance_share_max,
        thresholds.sensitive_importance_jump_max,
        candidate.validation_auc,
        thresholds.validation_auc_floor,
        decisions.registry_event as decision,
        decisions.reason as reasons
    from decisions
    cross join thresholds
    left join latest_evaluation
        on decisions.registry_event_id = latest_evaluation.registry_event_id
        and latest_evaluation.evaluation_rank = 1
    left join auc as candidate_auc
        on latest_evaluation.evaluation_id = candidate_auc.evaluation_id
        and candidate_auc.evaluation_role = 'candidate'
    left join auc as production_auc
        on latest_evaluation.evaluation_id = production_auc.evaluation_id
        and production_auc.evaluation_role = 'production'
    left join candidate_fairness
        on latest_evaluation.evaluation_id = candidate_fairness.evaluation_id
    left join versions as candidate
        on decisions.model_name = candidate.model_name
        and decisions.model_version = candidate.model_version
    left join versions as production
        on decisions.model_name = production.model_name
        and latest_evaluation.production_version = production.model_version
),

final as (
    select
        cast(decision_id as {{ dbt.type_string() }}) as decision_id,
        cast(model_name as {{ dbt.type_string() }}) as model_name,
        cast(candidate_version as {{ dbt.type_string() }}) as candidate_version,
        cast(production_version as {{ dbt.type_string() }}) as production_version,
        cast(evaluation_id as {{ dbt.type_string() }}) as evaluation_id,
        decided_at,
        cast(candidate_auc as {{ vigie.type_double() }}) as candidate_auc,
        cast(production_auc as {{ vigie.type_double() }}) as production_auc,
        cast(candidate_auc - production_auc as {{ vigie.type_double() }}) as auc_delta,
        cast(promotion_delta as {{ vigie.type_double() }}) as promotion_delta,
        candidate_auc - production_auc >= promotion_delta - 1e-9 as passes_auc_margin,
        cast(min_demographic_parity_ratio as {{ vigie.type_double() }})
            as min_demographic_parity_ratio,
        four_fifths_flag = 1 as passes_four_fifths_rule,
        cast(max_equalized_odds_difference as {{ vigie.type_double() }})
            as max_equalized_odds_difference,
        equalized_odds_flag = 1 as passes_equalized_odds,
        cast(sensitive_importance_share as {{ vigie.type_double() }})
            as sensitive_importance_share,
        cast(production_sensitive_importance_share as {{ vigie.type_double() }})
            as production_sensitive_importance_share,
        sensitive_importance_share <= sensitive_importance_share_max
        and (
            production_sensitive_importance_share is null
            or sensitive_importance_share - production_sensitive_importance_share
            <= sensitive_importance_jump_max
        ) as passes_sensitive_importance,
        cast(validation_auc as {{ vigie.type_double() }}) as validation_auc,
        validation_auc >= validation_auc_floor as passes_validation_auc_floor,
        cast(decision as {{ dbt.type_string() }}) as decision,
        cast(reasons as {{ dbt.type_string() }}) as reasons
    from joined
)

select * from final
