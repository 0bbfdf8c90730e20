-- Parity gaps per day × model × version × sensitive attribute, over the non-suppressed groups,
-- with their bootstrap percentile intervals.
with group_parity as (
    select * from {{ ref('group_parity') }}
),

resampled as (
    select * from {{ ref('int_prediction_groups_resampled') }}
),

thresholds as (
    select * from {{ ref('thresholds') }}
),

summary as (
    {{ vigie.fairness_summary_from('group_parity', ['window_date', 'model_name', 'model_version']) }}
),

intervals as (
    {{ vigie.fairness_intervals_from('resampled', 'group_parity',
                                     ['window_date', 'model_name', 'model_version']) }}
),

final as (
    {{ vigie.fairness_summary_with_intervals('summary', 'intervals',
                                             ['window_date', 'model_name', 'model_version']) }}
)

select * from final
