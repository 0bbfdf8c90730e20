-- Parity gaps per day × model × version × sensitive attribute, over the non-suppressed groups.
with group_parity as (
    select * from {{ ref('group_parity') }}
),

thresholds as (
    select * from {{ ref('thresholds') }}
),

summary as (
    {{ vigie.fairness_summary_from('group_parity', ['window_date', 'model_name', 'model_version']) }}
),

final as (
    select * from summary
)

select * from final
