-- Parity gaps over the 7 days ending on window_date, per day × model × version × attribute.
with group_parity as (
    select * from {{ ref('group_parity_7d') }}
),

thresholds as (
    select * from {{ ref('thresholds') }}
),

summary as (
    {{ vigie.fairness_summary_from('group_parity',
                                   ['window_date', 'window_start_date', 'model_name',
                                    'model_version']) }}
),

final as (
    select * from summary
)

select * from final
