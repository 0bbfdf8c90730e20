-- The validation AUC of each model version: the rank AUC (vigie.roc_auc_from, equal to
-- scikit-learn's roc_auc_score) of the scores the version gave its held-out validation rows at
-- training, the unfavourable outcome being the positive class (int_validation_scores_labelled).
-- Rows whose outcome the seed does not name are left out. Null when the rows hold a single class.
with labelled as (
    select * from {{ ref('int_validation_scores_labelled') }}
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
