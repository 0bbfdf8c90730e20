-- Predictions with whether their decision is the favourable one (seeds/outcomes.csv), so
-- another domain names its own decisions with no code change.
with predictions as (
    select * from {{ ref('stg_raw__predictions') }}
),

decisions as (
    select model_name, value as decision, is_favorable
    from {{ ref('outcomes') }}
    where value_kind = 'decision'
),

final as (
    select
        predictions.prediction_id,
        predictions.model_name,
        predictions.model_version,
        predictions.window_date,
        predictions.scored_at,
        predictions.score,
        predictions.decision,
        decisions.is_favorable as is_favorable_decision,
        predictions.latency_ms
    from predictions
    left join decisions
        on predictions.model_name = decisions.model_name
        and predictions.decision = decisions.decision
)

select * from final
