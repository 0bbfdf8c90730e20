-- Parity by group over the 7 days ending on window_date (window_start_date to window_date),
-- one row per day × model × version × attribute × group, for days with predictions.
with prediction_groups as (
    select * from {{ ref('int_prediction_groups') }}
),

thresholds as (
    select * from {{ ref('thresholds') }}
),

window_ends as (
    select distinct window_date as window_end_date, model_name, model_version
    from prediction_groups
),

windowed as (
    select
        window_ends.window_end_date as window_date,
        prediction_groups.model_name,
        prediction_groups.model_version,
        prediction_groups.attribute,
        prediction_groups.group_name,
        prediction_groups.is_favorable_decision,
        prediction_groups.is_favorable_outcome
    from window_ends
    inner join prediction_groups
        on window_ends.model_name = prediction_groups.model_name
        and window_ends.model_version = prediction_groups.model_version
        and prediction_groups.window_date <= window_ends.window_end_date
        and prediction_groups.window_date
            > {{ dbt.dateadd('day', -7, 'window_ends.window_end_date') }}
),

parity as (
    {{ vigie.group_parity_from('windowed', ['window_date', 'model_name', 'model_version']) }}
),

final as (
    select
        window_date,
        cast({{ dbt.dateadd('day', -6, 'window_date') }} as date) as window_start_date,
        model_name,
        model_version,
        attribute,
        group_name,
        n_predictions,
        n_favorable_decisions,
        selection_rate,
        n_labeled,
        n_favorable_outcomes,
        n_unfavorable_outcomes,
        true_positive_rate,
        false_positive_rate,
        is_suppressed
    from parity
)

select * from final
