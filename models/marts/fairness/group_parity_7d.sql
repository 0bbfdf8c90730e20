-- Parity by group over the 7 days ending on window_date (window_start_date to window_date),
-- one row per day × model × version × attribute × group, for days with predictions. The days
-- are first counted per cell (day × attribute × group × decision × outcome), so a window sums
-- seven days of cells instead of joining seven days of predictions.
with prediction_groups as (
    select * from {{ ref('int_prediction_groups') }}
),

thresholds as (
    select * from {{ ref('thresholds') }}
),

day_cells as (
    select
        window_date,
        model_name,
        model_version,
        attribute,
        group_name,
        is_favorable_decision,
        is_favorable_outcome,
        count(*) as n_rows
    from prediction_groups
    group by
        window_date,
        model_name,
        model_version,
        attribute,
        group_name,
        is_favorable_decision,
        is_favorable_outcome
),

window_ends as (
    select distinct window_date as window_end_date, model_name, model_version
    from day_cells
),

windowed as (
    select
        window_ends.window_end_date as window_date,
        day_cells.model_name,
        day_cells.model_version,
        day_cells.attribute,
        day_cells.group_name,
        day_cells.is_favorable_decision,
        day_cells.is_favorable_outcome,
        day_cells.n_rows
    from window_ends
    inner join day_cells
        on window_ends.model_name = day_cells.model_name
        and window_ends.model_version = day_cells.model_version
        and day_cells.window_date <= window_ends.window_end_date
        and day_cells.window_date
            > {{ dbt.dateadd('day', -7, 'window_ends.window_end_date') }}
),

parity as (
    {{ vigie.group_parity_from('windowed', ['window_date', 'model_name', 'model_version'],
                               weight='n_rows') }}
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
