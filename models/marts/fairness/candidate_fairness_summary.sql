-- Parity gaps of each evaluated version, per evaluation × model × version × attribute.
with candidate_parity as (
    select * from {{ ref('candidate_parity') }}
),

thresholds as (
    select * from {{ ref('thresholds') }}
),

summary as (
    {{ vigie.fairness_summary_from('candidate_parity',
                                   ['evaluation_id', 'model_name', 'model_version',
                                    'evaluation_role']) }}
),

final as (
    select * from summary
)

select * from final
