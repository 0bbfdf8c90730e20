{{ config(pre_hook="{{ vigie.without_jit() }}") }}

-- Parity gaps of each evaluated version, per evaluation × model × version × attribute, with
-- their bootstrap percentile intervals. Candidate and production score the same held-out rows
-- and a row's bootstrap weight depends on the row only, so both are resampled together.
{%- set keys = ['evaluation_id', 'model_name', 'model_version', 'evaluation_role'] %}
with candidate_parity as (
    select * from {{ ref('candidate_parity') }}
),

evaluation_groups as (
    select * from {{ ref('int_evaluation_groups') }}
),

thresholds as (
    select * from {{ ref('thresholds') }}
),

summary as (
    {{ vigie.fairness_summary_from('candidate_parity', keys) }}
),

resampled as (
    {{ vigie.bootstrap_resample_sums('evaluation_groups', keys) }}
),

intervals as (
    {{ vigie.fairness_intervals_from('resampled', 'candidate_parity', keys) }}
),

final as (
    {{ vigie.fairness_summary_with_intervals('summary', 'intervals', keys) }}
)

select * from final
