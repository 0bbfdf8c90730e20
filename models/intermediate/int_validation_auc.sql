-- The validation AUC of each model version: the rank AUC (vigie.roc_auc_from, equal to
-- scikit-learn's roc_auc_score) of the scores the version gave its held-out validation rows at
-- training, the unfavourable outcome (seeds/outcomes.csv) being the positive class, as `score`
-- is its probability. Null when the rows hold a single class.
with validation_scores as (
    select * from {{ ref('stg_raw__validation_scores') }}
),

outcomes as (
    select model_name, value as outcome, is_favorable
    from {{ ref('outcomes') }}
    where value_kind = 'outcome'
),

labelled as (
    select
        validation_scores.model_name,
        validation_scores.model_version,
        validation_scores.score,
        case
            when outcomes.is_favorable then 0
            when not outcomes.is_favorable then 1
        end as is_positive
    from validation_scores
    left join outcomes
        on validation_scores.model_name = outcomes.model_name
        and validation_scores.outcome = outcomes.outcome
),

auc as (
    {{ vigie.roc_auc_from('labelled', ['model_name', 'model_version']) }}
),

final as (
    select
        model_name,
        model_version,
        n_positive + n_negative as n_validation_rows,
        n_positive,
        n_negative,
        roc_auc as validation_auc
    from auc
)

select * from final
