-- Each version's validation rows with the score it gave them and whether their outcome is the
-- unfavourable one (seeds/outcomes.csv), the positive class of every performance number, as
-- `score` is its probability. The one reading of raw.validation_scores: the validation AUC
-- (int_validation_auc) and the Python calibration step (raw.score_calibration) both start here.
-- is_positive is null for an outcome the seed does not name.
with validation_scores as (
    select * from {{ ref('stg_raw__validation_scores') }}
),

outcomes as (
    select model_name, value as outcome, is_favorable
    from {{ ref('outcomes') }}
    where value_kind = 'outcome'
),

final as (
    select
        validation_scores.model_name,
        validation_scores.model_version,
        validation_scores.row_id,
        validation_scores.score,
        case
            when outcomes.is_favorable then 0
            when not outcomes.is_favorable then 1
        end as is_positive
    from validation_scores
    left join outcomes
        on validation_scores.model_name = outcomes.model_name
        and validation_scores.outcome = outcomes.outcome
)

select * from final
