-- Parity by group of each version scored in an evaluation (candidate and production on the
-- same held-out rows), one row per evaluation × model × version × attribute × group.
with evaluation_groups as (
    select * from {{ ref('int_evaluation_groups') }}
),

thresholds as (
    select * from {{ ref('thresholds') }}
),

parity as (
    {{ vigie.group_parity_from('evaluation_groups',
                               ['evaluation_id', 'model_name', 'model_version',
                                'evaluation_role']) }}
),

final as (
    select * from parity
)

select * from final
