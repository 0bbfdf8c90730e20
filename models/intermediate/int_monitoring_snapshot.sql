{{ config(materialized='table') }}
-- The predictions this build monitors, fixed once at its start: one row per day × model ×
-- version with its prediction count and latest ingested_at, and the count and latest
-- ingested_at of the feedback about them (labels, corrections, ratings, implicit events, which
-- arrive days after the prediction and change the day they are about). The build's watermark
-- is the latest ingested_at of the predictions (vigie.build_watermark()); every monitoring
-- model reads predictions up to it and compares these states with what it stored to find the
-- days that changed.
with predictions as (
    select prediction_id, window_date, model_name, model_version, ingested_at
    from {{ ref('stg_raw__predictions') }}
),

feedback as (
    select prediction_id, ingested_at from {{ ref('stg_raw__feedback') }}
),

predicted as (
    select
        window_date,
        model_name,
        model_version,
        count(*) as n_predictions,
        max(ingested_at) as last_ingested_at
    from predictions
    group by window_date, model_name, model_version
),

fed_back as (
    select
        predictions.window_date,
        predictions.model_name,
        predictions.model_version,
        count(*) as n_feedback,
        max(feedback.ingested_at) as last_feedback_ingested_at
    from feedback
    inner join predictions on feedback.prediction_id = predictions.prediction_id
    group by predictions.window_date, predictions.model_name, predictions.model_version
),

states as (
    select
        predicted.window_date,
        predicted.model_name,
        predicted.model_version,
        predicted.n_predictions,
        predicted.last_ingested_at,
        coalesce(fed_back.n_feedback, 0) as n_feedback,
        fed_back.last_feedback_ingested_at
    from predicted
    left join fed_back
        on predicted.window_date = fed_back.window_date
        and predicted.model_name = fed_back.model_name
        and predicted.model_version = fed_back.model_version
),

final as (
    select
        cast(window_date as date) as window_date,
        cast(model_name as {{ dbt.type_string() }}) as model_name,
        cast(model_version as {{ dbt.type_string() }}) as model_version,
        cast(n_predictions as {{ dbt.type_bigint() }}) as n_predictions,
        cast(last_ingested_at as {{ dbt.type_timestamp() }}) as last_ingested_at,
        cast(n_feedback as {{ dbt.type_bigint() }}) as n_feedback,
        cast(last_feedback_ingested_at as {{ dbt.type_timestamp() }})
            as last_feedback_ingested_at,
        cast({{ dbt.hash(dbt.concat([
            "cast(n_predictions as " ~ dbt.type_string() ~ ")", "'|'",
            "cast(last_ingested_at as " ~ dbt.type_string() ~ ")", "'|'",
            "cast(n_feedback as " ~ dbt.type_string() ~ ")", "'|'",
            "coalesce(cast(last_feedback_ingested_at as " ~ dbt.type_string() ~ "), '')"])) }}
            as {{ dbt.type_string() }}) as window_state
    from states
)

select * from final
