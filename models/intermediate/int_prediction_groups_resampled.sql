{{
    config(
        materialized='incremental',
        on_schema_change='append_new_columns',
        pre_hook="{{ vigie.without_jit() }}",
        **vigie.day_incremental_config('window_date')
    )
}}

-- The Poisson bootstrap of each day's parity (macros/stats/bootstrap.sql): per day × model ×
-- version × attribute × group × resample, the weighted counts. A table: fairness_summary reads
-- it per day and fairness_summary_7d sums seven days of it (the weights of a prediction are the
-- same in both, so a 7-day resample is exactly the sum of its daily resamples). A cell of more
-- than 100 predictions (day × attribute × group × decision × outcome) is drawn whole, one
-- Poisson(n) per resample, so the cost follows the cells, not the predictions. Incremental by
-- day, as int_prediction_groups (vigie.window_state_ctes): a row's weights depend on its id,
-- the resample and the seed only, so a day drawn again draws the same.
with {{ vigie.window_state_ctes() }}

prediction_groups as (
    select * from {{ ref('int_prediction_groups') }}
    {{ vigie.in_windows_to_rebuild() }}
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
    select resampled.*, day_states.window_state
    from resampled
    inner join day_states
        on resampled.window_date = day_states.window_date
        and resampled.model_name = day_states.model_name
        and resampled.model_version = day_states.model_version
)

select * from final
