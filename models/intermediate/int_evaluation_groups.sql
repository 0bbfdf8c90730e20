{{ config(materialized='table') }}

-- One row per evaluation score × sensitive attribute of its model: the held-out row's group
-- (from the prediction it re-scores; 'unknown' when that prediction or its value is missing)
-- with the evaluated version's decision and the row's outcome, as favourable or not.
with evaluation_scores as (
    select * from {{ ref('stg_raw__evaluation_scores') }}
),

attributes as (
    select * from {{ ref('int_model_sensitive_attributes') }}
),

prediction_groups as (
    select prediction_id, attribute, group_name from {{ ref('int_prediction_groups') }}
),

decisions as (
    select model_name, value as decision, is_favorable
    from {{ ref('outcomes') }}
    where value_kind = 'decision'
),

outcomes as (
    select model_name, value as outcome, is_favorable
    from {{ ref('outcomes') }}
    where value_kind = 'outcome'
),

final as (
    select
        evaluation_scores.evaluation_id,
        evaluation_scores.model_name,
        evaluation_scores.model_version,
        evaluation_scores.evaluation_role,
        evaluation_scores.prediction_id,
        attributes.attribute,
        coalesce(prediction_groups.group_name, 'unknown') as group_name,
        evaluation_scores.score,
        decisions.is_favorable as is_favorable_decision,
        outcomes.is_favorable as is_favorable_outcome
    from evaluation_scores
    inner join attributes on evaluation_scores.model_name = attributes.model_name
    left join prediction_groups
        on evaluation_scores.prediction_id = prediction_groups.prediction_id
        and attributes.attribute = prediction_groups.attribute
    left join decisions
        on evaluation_scores.model_name = decisions.model_name
        and evaluation_scores.decision = decisions.decision
    left join outcomes
        on evaluation_scores.model_name = outcomes.model_name
        and evaluation_scores.outcome = outcomes.outcome
)

select * from final
