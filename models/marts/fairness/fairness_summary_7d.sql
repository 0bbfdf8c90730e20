-- Parity gaps over the 7 days ending on window_date, per day × model × version × attribute,
-- with their bootstrap percentile intervals: a 7-day resample is the sum of the daily resamples
-- of its days (a prediction keeps its bootstrap weight), the same as resampling the 7 days' rows.
{%- set keys = ['window_date', 'window_start_date', 'model_name', 'model_version'] %}
with group_parity as (
    select * from {{ ref('group_parity_7d') }}
),

resampled_days as (
    select * from {{ ref('int_prediction_groups_resampled') }}
),

thresholds as (
    select * from {{ ref('thresholds') }}
),

summary as (
    {{ vigie.fairness_summary_from('group_parity', keys) }}
),

window_ends as (
    select distinct window_date, window_start_date, model_name, model_version
    from group_parity
),

resampled as (
    select
        window_ends.window_date,
        window_ends.window_start_date,
        window_ends.model_name,
        window_ends.model_version,
        resampled_days.attribute,
        resampled_days.group_name,
        resampled_days.resample_index,
        sum(resampled_days.n_predictions) as n_predictions,
        sum(resampled_days.n_favorable_decisions) as n_favorable_decisions,
        sum(resampled_days.n_favorable_outcomes) as n_favorable_outcomes,
        sum(resampled_days.n_unfavorable_outcomes) as n_unfavorable_outcomes,
        sum(resampled_days.n_true_favorable) as n_true_favorable,
        sum(resampled_days.n_false_favorable) as n_false_favorable
    from window_ends
    inner join resampled_days
        on window_ends.model_name = resampled_days.model_name
        and window_ends.model_version = resampled_days.model_version
        and resampled_days.window_date >= window_ends.window_start_date
        and resampled_days.window_date <= window_ends.window_date
    group by
        window_ends.window_date,
        window_ends.window_start_date,
        window_ends.model_name,
        window_ends.model_version,
        resampled_days.attribute,
        resampled_days.group_name,
        resampled_days.resample_index
),

intervals as (
    {{ vigie.fairness_intervals_from('resampled', 'group_parity', keys) }}
),

final as (
    {{ vigie.fairness_summary_with_intervals('summary', 'intervals', keys) }}
)

select * from final
