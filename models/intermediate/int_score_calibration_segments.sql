-- Each version's calibration map (raw.score_calibration, the isotonic fit of the Python
-- calibration step) as segments [score_low, score_high) with the line p = intercept + slope ·
-- score on each, so that a prediction finds its probability with one range join. Only the fit
-- of the version's current validation rows counts (its n_validation_rows equals
-- int_validation_auc's): a fit of rows since replaced is stale, and a version without a current
-- fit has no segments, so its estimates stay null rather than wrong. Below the first point
-- and above the last the map is flat (scikit-learn's out_of_bounds='clip'); scores lie in
-- [0, 1] by the raw contract, so -1 and 2 close those two segments.
with points as (
    select * from {{ ref('stg_raw__score_calibration') }}
),

validation as (
    select model_name, model_version, n_validation_rows from {{ ref('int_validation_auc') }}
),

current_points as (
    select points.*
    from points
    inner join validation
        on points.model_name = validation.model_name
        and points.model_version = validation.model_version
        and points.n_validation_rows = validation.n_validation_rows
),

neighbours as (
    select
        model_name,
        model_version,
        n_validation_rows,
        point_index,
        score,
        calibrated_probability,
        lead(score) over (
            partition by model_name, model_version order by point_index
        ) as next_score,
        lead(calibrated_probability) over (
            partition by model_name, model_version order by point_index
        ) as next_probability,
        min(point_index) over (partition by model_name, model_version) as first_index
    from current_points
),

segments as (
    -- between two points: the line through them
    select
        model_name,
        model_version,
        n_validation_rows,
        score as score_low,
        next_score as score_high,
        (next_probability - calibrated_probability) / (next_score - score) as slope,
        calibrated_probability
            - score * (next_probability - calibrated_probability) / (next_score - score)
            as intercept
    from neighbours
    where next_score is not null
    union all
    -- below the first point: flat
    select
        model_name, model_version, n_validation_rows,
        cast(-1 as {{ vigie.type_double() }}), score,
        cast(0 as {{ vigie.type_double() }}), calibrated_probability
    from neighbours
    where point_index = first_index
    union all
    -- from the last point on: flat
    select
        model_name, model_version, n_validation_rows,
        score, cast(2 as {{ vigie.type_double() }}),
        cast(0 as {{ vigie.type_double() }}), calibrated_probability
    from neighbours
    where next_score is null
),

final as (
    select
        model_name,
        model_version,
        n_validation_rows,
        cast(score_low as {{ vigie.type_double() }}) as score_low,
        cast(score_high as {{ vigie.type_double() }}) as score_high,
        cast(slope as {{ vigie.type_double() }}) as slope,
        cast(intercept as {{ vigie.type_double() }}) as intercept
    from segments
)

select * from final
