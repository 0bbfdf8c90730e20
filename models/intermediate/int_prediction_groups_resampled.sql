{{ config(materialized='table', pre_hook="{{ vigie.without_jit() }}") }}

-- The Poisson bootstrap of each day's parity (macros/stats/bootstrap.sql): per day × model ×
-- version × attribute × group × resample, the weighted counts. A table: fairness_summary reads
-- it per day and fairness_summary_7d sums seven days of it (the weights of a prediction are the
-- same in both, so a 7-day resample is exactly the sum of its daily resamples). A cell of more
-- than 100 predictions (day × attribute × group × decision × outcome) is drawn whole, one
-- Poisson(n) per resample, so the cost follows the cells, not the predictions.
with prediction_groups as (
    select * from {{ ref('int_prediction_groups') }}
),

thresholds as (
    select * from {{ ref('thresholds') }}
),

resampled as (
    {{ vigie.bootstrap_resample_sums('prediction_groups',
                                     ['window_date', 'model_name', 'model_version'],
                                     whole_cells_above=100) }}
),

final as (
    select * from resampled
)

select * from final
