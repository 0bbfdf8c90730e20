-- Each prediction with the calibrated probability of the unfavourable outcome (its score
-- through its version's current calibration map, int_score_calibration_segments), whether its
-- decision is the unfavourable one (the positive prediction of every performance number, as in
-- marts.model_performance) and, once labelled, whether its outcome is (null before). A
-- prediction of a version without a current calibration has a null probability: its estimates
-- stay null. A view: the estimate marts read it for the days they rebuild.
with predictions as (
    select * from {{ ref('int_predictions_decided') }}
),

segments as (
    select * from {{ ref('int_score_calibration_segments') }}
),

labels as (
    select prediction_id, is_favorable_outcome from {{ ref('int_labels_latest') }}
    where is_favorable_outcome is not null
),

calibrated as (
    select
        predictions.prediction_id,
        predictions.model_name,
        predictions.model_version,
        predictions.window_date,
        predictions.score,
        predictions.is_favorable_decision,
        segments.n_validation_rows as calibration_rows,
        segments.intercept + segments.slope * predictions.score as calibrated_probability
    from predictions
    left join segments
        on predictions.model_name = segments.model_name
        and predictions.model_version = segments.model_version
        and predictions.score >= segments.score_low
        and predictions.score < segments.score_high
),

final as (
    select
        calibrated.prediction_id,
        calibrated.model_name,
        calibrated.model_version,
        calibrated.window_date,
        calibrated.score,
        cast(calibrated.calibrated_probability as {{ vigie.type_double() }})
            as calibrated_probability,
        calibrated.calibration_rows,
        case when calibrated.is_favorable_decision then 0 else 1 end as is_predicted_positive,
        case
            when labels.is_favorable_outcome then 0
            when not labels.is_favorable_outcome then 1
        end as is_positive
    from calibrated
    left join labels on calibrated.prediction_id = labels.prediction_id
)

select * from final
