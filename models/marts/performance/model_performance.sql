-- Model performance per day × model × version on the labelled predictions of that day, with
-- the unfavourable outcome as the positive class (as the score) and an unfavourable decision as
-- a positive prediction; validation_auc is the version's AUC on its held-out validation rows
-- (int_validation_auc, the one definition). Incremental by day: a day is rebuilt when its
-- predictions, the labels about them, the configuration or the version's validation AUC
-- changed (vigie.window_state_ctes), so a new day costs that day, not the history.
{{
    config(
        materialized='incremental',
        on_schema_change='append_new_columns',
        **vigie.day_incremental_config('window_date')
    )
}}

with validation as (
    select model_name, model_version, validation_auc from {{ ref('int_validation_auc') }}
),

{{ vigie.window_state_ctes(versions='validation', version_state='validation_auc') }}

decided as (
    select * from {{ ref('int_predictions_decided') }}
    {{ vigie.in_windows_to_rebuild() }}
),

labels as (
    select * from {{ ref('int_labels_latest') }}
    where is_favorable_outcome is not null
    {%- if is_incremental() %}
        and window_date in (select window_date from windows)
    {%- endif %}
),

days as (
    select window_date, model_name, model_version, window_state from day_states
    {{ vigie.in_windows_to_rebuild() }}
),

labelled as (
    select
        labels.window_date,
        labels.model_name,
        labels.model_version,
        cast(labels.score as {{ vigie.type_double() }}) as score,
        case when labels.is_favorable_outcome then 0 else 1 end as is_positive,
        case when decided.is_favorable_decision then 0 else 1 end as is_predicted_positive
    from labels
    inner join decided on labels.prediction_id = decided.prediction_id
),

auc as (
    {{ vigie.roc_auc_from('labelled', ['window_date', 'model_name', 'model_version'],
                          'score', 'is_positive') }}
),

confusion as (
    select
        window_date,
        model_name,
        model_version,
        count(*) as n_labeled,
        sum(case when is_positive = 1 and is_predicted_positive = 1 then 1 else 0 end) as n_tp,
        sum(case when is_positive = 0 and is_predicted_positive = 1 then 1 else 0 end) as n_fp,
        sum(case when is_positive = 1 and is_predicted_positive = 0 then 1 else 0 end) as n_fn,
        sum(case when is_positive = 0 and is_predicted_positive = 0 then 1 else 0 end) as n_tn,
        avg((score - is_positive) * (score - is_positive)) as brier_score
    from labelled
    group by window_date, model_name, model_version
),

final as (
    select
        days.window_date,
        days.model_name,
        days.model_version,
        cast(coalesce(confusion.n_labeled, 0) as {{ dbt.type_bigint() }}) as n_labeled,
        cast(coalesce(auc.n_positive, 0) as {{ dbt.type_bigint() }}) as n_positive,
        cast(coalesce(auc.n_negative, 0) as {{ dbt.type_bigint() }}) as n_negative,
        auc.roc_auc,
        cast(confusion.n_tp as {{ vigie.type_double() }})
            / nullif(confusion.n_tp + confusion.n_fp, 0) as precision,
        cast(confusion.n_tp as {{ vigie.type_double() }})
            / nullif(confusion.n_tp + confusion.n_fn, 0) as recall,
        cast(2 * confusion.n_tp as {{ vigie.type_double() }})
            / nullif(2 * confusion.n_tp + confusion.n_fp + confusion.n_fn, 0) as f1,
        cast(confusion.n_tp + confusion.n_tn as {{ vigie.type_double() }})
            / nullif(confusion.n_labeled, 0) as accuracy,
        cast(confusion.brier_score as {{ vigie.type_double() }}) as brier_score,
        validation.validation_auc,
        validation.validation_auc - auc.roc_auc as auc_gap,
        days.window_state
    from days
    left join confusion
        on days.window_date = confusion.window_date
        and days.model_name = confusion.model_name
        and days.model_version = confusion.model_version
    left join auc
        on days.window_date = auc.window_date
        and days.model_name = auc.model_name
        and days.model_version = auc.model_version
    left join validation
        on days.model_name = validation.model_name
        and days.model_version = validation.model_version
)

select * from final
