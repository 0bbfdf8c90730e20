-- The predictions as `vigie audit` reads a date range of them (predictions:FROM..TO): one row
-- per prediction with its features JSON and its latest label's outcome (int_labels_latest),
-- null when no label has arrived.
with predictions as (
    select prediction_id, model_name, model_version, window_date, features
    from {{ ref('stg_raw__predictions') }}
),

labels as (
    select prediction_id, outcome from {{ ref('int_labels_latest') }}
),

final as (
    select
        predictions.prediction_id,
        predictions.model_name,
        predictions.model_version,
        predictions.window_date,
        predictions.features,
        labels.outcome
    from predictions
    left join labels on predictions.prediction_id = labels.prediction_id
)

select * from final
