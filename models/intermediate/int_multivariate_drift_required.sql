-- The days the domain classifier (the Python multivariate drift step) must have trained on,
-- and against what: each version's baseline is its first multivariate_baseline_days days of
-- production (seeds/thresholds), as NannyML's reference period, since a classifier tells any
-- training extract from logged traffic (rounding, jitter, how the extract was made) and would
-- flag every day. Each later day × model × version of the build's snapshot is one row, keyed
-- by its baseline (first and last day and their prediction count: `baseline_key`) and its own
-- prediction count, so new days, days with late rows and every day of a version whose
-- baseline received late rows are trained again. Baseline days have no row: they are what
-- the others are compared with.
with snapshot as (
    select * from {{ ref('int_monitoring_snapshot') }}
),

thresholds as (
    select max(case when threshold_name = 'multivariate_baseline_days' then threshold_value end)
        as baseline_days
    from {{ ref('thresholds') }}
),

ranked as (
    select
        snapshot.window_date,
        snapshot.model_name,
        snapshot.model_version,
        snapshot.n_predictions,
        dense_rank() over (
            partition by snapshot.model_name, snapshot.model_version
            order by snapshot.window_date
        ) as day_number
    from snapshot
),

baselines as (
    select
        ranked.model_name,
        ranked.model_version,
        min(ranked.window_date) as baseline_start_date,
        max(ranked.window_date) as baseline_end_date,
        sum(ranked.n_predictions) as n_baseline_predictions
    from ranked
    cross join thresholds
    where ranked.day_number <= thresholds.baseline_days
    group by ranked.model_name, ranked.model_version
),

final as (
    select
        ranked.window_date,
        ranked.model_name,
        ranked.model_version,
        baselines.baseline_start_date,
        baselines.baseline_end_date,
        cast(baselines.n_baseline_predictions as {{ dbt.type_bigint() }})
            as n_baseline_predictions,
        {{ dbt.concat([
            "cast(baselines.baseline_start_date as " ~ dbt.type_string() ~ ")", "'..'",
            "cast(baselines.baseline_end_date as " ~ dbt.type_string() ~ ")", "':'",
            "cast(baselines.n_baseline_predictions as " ~ dbt.type_string() ~ ")"]) }}
            as baseline_key,
        ranked.n_predictions
    from ranked
    cross join thresholds
    inner join baselines
        on ranked.model_name = baselines.model_name
        and ranked.model_version = baselines.model_version
    where ranked.day_number > thresholds.baseline_days
)

select * from final
