-- Business KPIs per day × model × version: approvals, defaults and the cost of wrong decisions
-- among labelled predictions (seeds/cost_matrix), ratings, implicit feedback and latency.
-- Feedback counts for the day of the prediction it is about. Incremental by day: a day is
-- rebuilt when its predictions, the feedback about them or the configuration changed
-- (vigie.window_state_ctes).
{{
    config(
        materialized='incremental',
        on_schema_change='append_new_columns',
        **vigie.day_incremental_config('window_date')
    )
}}

with {{ vigie.window_state_ctes() }}

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

feedback as (
    select * from {{ ref('stg_raw__feedback') }}
    {%- if is_incremental() %}
    where prediction_id in (select prediction_id from decided)
    {%- endif %}
),

cost_matrix as (
    select * from {{ ref('cost_matrix') }}
),

served as (
    select
        window_date,
        model_name,
        model_version,
        count(*) as n_predictions,
        sum(case when is_favorable_decision then 1 else 0 end) as n_approved,
        {{ vigie.percentile_cont('cast(latency_ms as ' ~ vigie.type_double() ~ ')', 0.5) }}
            as latency_p50_ms,
        {{ vigie.percentile_cont('cast(latency_ms as ' ~ vigie.type_double() ~ ')', 0.95) }}
            as latency_p95_ms
    from decided
    group by window_date, model_name, model_version
),

labelled as (
    select
        labels.window_date,
        labels.model_name,
        labels.model_version,
        count(*) as n_labeled,
        sum(case when decided.is_favorable_decision then 1 else 0 end) as n_approved_labeled,
        sum(case when decided.is_favorable_decision and not labels.is_favorable_outcome
            then 1 else 0 end) as n_false_approvals,
        sum(case when not decided.is_favorable_decision and labels.is_favorable_outcome
            then 1 else 0 end) as n_false_refusals,
        sum(cast(coalesce(cost_matrix.cost, 0) as {{ vigie.type_double() }})) as total_cost
    from labels
    inner join decided on labels.prediction_id = decided.prediction_id
    left join cost_matrix
        on labels.decision = cost_matrix.decision
        and labels.outcome = cost_matrix.outcome
    group by labels.window_date, labels.model_name, labels.model_version
),

ratings as (
    select
        decided.window_date,
        decided.model_name,
        decided.model_version,
        count(*) as n_ratings,
        avg(cast(feedback.rating as {{ vigie.type_double() }})) as avg_rating
    from feedback
    inner join decided on feedback.prediction_id = decided.prediction_id
    where feedback.feedback_kind = 'rating' and feedback.rating is not null
    group by decided.window_date, decided.model_name, decided.model_version
),

implicit as (
    select
        decided.window_date,
        decided.model_name,
        decided.model_version,
        count(distinct case when feedback.implicit_event = 'converted'
            then feedback.prediction_id end) as n_converted,
        count(distinct feedback.prediction_id) as n_engaged
    from feedback
    inner join decided on feedback.prediction_id = decided.prediction_id
    where feedback.feedback_kind = 'implicit' and feedback.implicit_event is not null
    group by decided.window_date, decided.model_name, decided.model_version
),

final as (
    select
        served.window_date,
        served.model_name,
        served.model_version,
        cast(served.n_predictions as {{ dbt.type_bigint() }}) as n_predictions,
        cast(served.n_approved as {{ vigie.type_double() }}) / served.n_predictions
            as approval_rate,
        cast(coalesce(labelled.n_labeled, 0) as {{ dbt.type_bigint() }}) as n_labeled,
        cast(labelled.n_false_approvals as {{ vigie.type_double() }})
            / nullif(labelled.n_approved_labeled, 0) as default_rate,
        cast(coalesce(labelled.n_false_approvals, 0) as {{ dbt.type_bigint() }})
            as n_false_approvals,
        cast(coalesce(labelled.n_false_refusals, 0) as {{ dbt.type_bigint() }})
            as n_false_refusals,
        labelled.total_cost / nullif(labelled.n_labeled, 0) as cost_per_decision,
        cast(ratings.avg_rating as {{ vigie.type_double() }}) as avg_rating,
        cast(coalesce(ratings.n_ratings, 0) as {{ dbt.type_bigint() }}) as n_ratings,
        cast(coalesce(implicit.n_converted, 0) as {{ vigie.type_double() }})
            / served.n_predictions as conversion_rate,
        cast(coalesce(implicit.n_engaged, 0) as {{ vigie.type_double() }})
            / served.n_predictions as engagement_rate,
        cast(served.latency_p50_ms as {{ vigie.type_double() }}) as latency_p50_ms,
        cast(served.latency_p95_ms as {{ vigie.type_double() }}) as latency_p95_ms,
        day_states.window_state
    from served
    inner join day_states
        on served.window_date = day_states.window_date
        and served.model_name = day_states.model_name
        and served.model_version = day_states.model_version
    left join labelled
        on served.window_date = labelled.window_date
        and served.model_name = labelled.model_name
        and served.model_version = labelled.model_version
    left join ratings
        on served.window_date = ratings.window_date
        and served.model_name = ratings.model_name
        and served.model_version = ratings.model_version
    left join implicit
        on served.window_date = implicit.window_date
        and served.model_name = implicit.model_name
        and served.model_version = implicit.model_version
)

select * from final
