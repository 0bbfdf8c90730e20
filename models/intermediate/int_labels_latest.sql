{{
    config(
        materialized='incremental',
        on_schema_change='append_new_columns',
        **vigie.day_incremental_config('window_date')
    )
}}

-- The latest label per prediction (a corrected label replaces the first one), with whether
-- its outcome is the favourable one for that model (seeds/outcomes.csv). Incremental by the
-- day of the prediction: a day is rebuilt whole when its predictions or the feedback about
-- them changed (vigie.window_state_ctes), since a label arrives days after its prediction.
with {{ vigie.window_state_ctes() }}

predictions as (
    select prediction_id, model_name, model_version, window_date, score, decision
    from {{ ref('stg_raw__predictions') }}
    {{ vigie.in_windows_to_rebuild() }}
),

labels as (
    select feedback.*
    from {{ ref('stg_raw__feedback') }} as feedback
    where feedback.feedback_kind = 'label' and feedback.outcome is not null
    {%- if is_incremental() %}
        and feedback.prediction_id in (select prediction_id from predictions)
    {%- endif %}
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
        outcomes.is_favorable as is_favorable_outcome,
        day_states.window_state
    from ranked
    inner join predictions on ranked.prediction_id = predictions.prediction_id
    inner join day_states
        on predictions.window_date = day_states.window_date
        and predictions.model_name = day_states.model_name
        and predictions.model_version = day_states.model_version
    left join outcomes
        on predictions.model_name = outcomes.model_name
        and ranked.outcome = outcomes.outcome
    where ranked.label_rank = 1
)

select * from final
