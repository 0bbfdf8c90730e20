-- every decision × outcome pair among labelled predictions has a cost in seeds/cost_matrix
-- (a missing pair would count as cost 0 in business_kpis; a configuration warning)
{{ config(severity='warn', meta={'dagster': {'ref': {'name': 'int_labels_latest'}}}) }}

with labels as (
    select distinct decision, outcome from {{ ref('int_labels_latest') }}
),

costs as (
    select decision, outcome from {{ ref('cost_matrix') }}
),

uncovered as (
    select labels.decision, labels.outcome
    from labels
    left join costs
        on labels.decision = costs.decision
        and labels.outcome = costs.outcome
    where costs.decision is null
)

select * from uncovered
