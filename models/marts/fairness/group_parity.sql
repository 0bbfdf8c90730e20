-- Parity by group, one row per day × model × version × sensitive attribute × group.
with prediction_groups as (
    select * from {{ ref('int_prediction_groups') }}
),

thresholds as (
    select * from {{ ref('thresholds') }}
),

parity as (
    {{ vigie.group_parity_from('prediction_groups', ['window_date', 'model_name', 'model_version']) }}
),

final as (
    select * from parity
)

select * from final
