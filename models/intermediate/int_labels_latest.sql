-- The latest label per prediction (a corrected label replaces the first one), with whether
-- its outcome is the favourable one for that model (seeds/outcomes.csv).
with labels as (
    select * from {{ ref('stg_raw__feedback') }}
    where feedback_kind = 'label' and outcome is not null
),

predictions as (
    select prediction_id, model_name, model_version, window_date, score, decision
    from {{ ref('stg_raw__predictions') }}
),

outcomes as (
    select model_name, value as outcome, is_favorable
    from {{ ref('outcomes') }}
    where value_kind = 'outcome'
),

ranked as (
    select
        labels.*,
        row_number() over (
            partition by labels.prediction_id
            order by labels.received_at desc, labels.feedback_id desc
        ) as label_rank
    from labels
),

final as (
    select
        ranked.prediction_id,
        ranked.feedback_id,
        ranked.received_at,
        ranked.outcome,
        predictions.model_name,
        predictions.model_version,
        predictions.window_date,
        predictions.score,
        predictions.decision,
        outcomes.is_favorable as is_favorable_outcome
    from ranked
    inner join predictions on ranked.prediction_id = predictions.prediction_id
    left join outcomes
        on predictions.model_name = outcomes.model_name
        and ranked.outcome = outcomes.outcome
    where ranked.label_rank = 1
)

select * from final
