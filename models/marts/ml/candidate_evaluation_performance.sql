-- AUC of each version scored in a promotion evaluation, on the held-out rows both versions
-- scored, one row per evaluation × model × version × role. Not assessable (roc_auc null, with
-- the reason) when any of the role's scores is null or not finite — a model that emits NaN is
-- broken, and ranking around it would hide that — or when the labelled rows hold one class.
with evaluation_scores as (
    select * from {{ ref('stg_raw__evaluation_scores') }}
),

outcomes as (
    select model_name, value as outcome, is_favorable
    from {{ ref('outcomes') }}
    where value_kind = 'outcome'
),

scored as (
    select
        evaluation_scores.evaluation_id,
        evaluation_scores.model_name,
        evaluation_scores.model_version,
        evaluation_scores.evaluation_role,
        evaluation_scores.score,
        evaluation_scores.scored_at,
        -- the unfavourable outcome is the positive class, as the score is its probability
        case
            when outcomes.is_favorable then 0
            when not outcomes.is_favorable then 1
        end as is_positive,
        {{ vigie.is_finite('evaluation_scores.score') }} as has_finite_score
    from evaluation_scores
    left join outcomes
        on evaluation_scores.model_name = outcomes.model_name
        and evaluation_scores.outcome = outcomes.outcome
),

counts as (
    select
        evaluation_id,
        model_name,
        model_version,
        evaluation_role,
        count(*) as n_scores,
        sum(case when is_positive is not null then 1 else 0 end) as n_labelled,
        sum(case when is_positive = 1 then 1 else 0 end) as n_unfavorable_outcomes,
        sum(case when is_positive = 0 then 1 else 0 end) as n_favorable_outcomes,
        sum(case when has_finite_score then 0 else 1 end) as n_non_finite_scores,
        max(scored_at) as evaluated_at
    from scored
    group by evaluation_id, model_name, model_version, evaluation_role
),

rankable as (
    select * from scored where has_finite_score and is_positive is not null
),

auc as (
    {{ vigie.roc_auc_from('rankable',
                          ['evaluation_id', 'model_name', 'model_version', 'evaluation_role'],
                          'score', 'is_positive') }}
),

judged as (
    select
        counts.*,
        case
            when counts.n_non_finite_scores > 0 then
                cast(counts.n_non_finite_scores as {{ dbt.type_string() }})
                || ' of ' || cast(counts.n_scores as {{ dbt.type_string() }})
                || ' scores are null or not finite'
            when counts.n_unfavorable_outcomes = 0 and counts.n_favorable_outcomes = 0
                then 'no labelled rows'
            when counts.n_unfavorable_outcomes = 0 then 'no labelled unfavourable outcomes'
            when counts.n_favorable_outcomes = 0 then 'no labelled favourable outcomes'
            when not {{ vigie.is_finite('auc.roc_auc') }} then 'AUC not finite'
        end as not_assessable_reason,
        auc.roc_auc
    from counts
    left join auc
        on counts.evaluation_id = auc.evaluation_id
        and counts.model_name = auc.model_name
        and counts.model_version = auc.model_version
        and counts.evaluation_role = auc.evaluation_role
),

final as (
    select
        cast(evaluation_id as {{ dbt.type_string() }}) as evaluation_id,
        cast(model_name as {{ dbt.type_string() }}) as model_name,
        cast(model_version as {{ dbt.type_string() }}) as model_version,
        cast(evaluation_role as {{ dbt.type_string() }}) as evaluation_role,
        cast(n_scores as {{ dbt.type_bigint() }}) as n_scores,
        cast(n_labelled as {{ dbt.type_bigint() }}) as n_labelled,
        cast(n_unfavorable_outcomes as {{ dbt.type_bigint() }}) as n_unfavorable_outcomes,
        cast(n_favorable_outcomes as {{ dbt.type_bigint() }}) as n_favorable_outcomes,
        cast(n_non_finite_scores as {{ dbt.type_bigint() }}) as n_non_finite_scores,
        cast(case when not_assessable_reason is null then roc_auc end
             as {{ vigie.type_double() }}) as roc_auc,
        not_assessable_reason is null as is_assessable,
        cast(not_assessable_reason as {{ dbt.type_string() }}) as not_assessable_reason,
        evaluated_at
    from judged
)

select * from final
