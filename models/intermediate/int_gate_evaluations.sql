-- Who is compared in each evaluation of the promotion gate, with each role's AUC (null when not
-- assessable) and the reason it is not. One row per evaluation.
with performance as (
    select * from {{ ref('candidate_evaluation_performance') }}
),

final as (
    select
        evaluation_id,
        model_name,
        max(case when evaluation_role = 'candidate' then model_version end) as candidate_version,
        max(case when evaluation_role = 'production' then model_version end)
            as production_version,
        max(case when evaluation_role = 'candidate' then roc_auc end) as candidate_auc,
        max(case when evaluation_role = 'production' then roc_auc end) as production_auc,
        max(case when evaluation_role = 'candidate' then not_assessable_reason end)
            as candidate_auc_problem,
        max(case when evaluation_role = 'production' then not_assessable_reason end)
            as production_auc_problem
    from performance
    group by evaluation_id, model_name
)

select * from final
