{{ config(materialized='table') }}
-- Is the data behind the model's numbers healthy? Per day × model, from the model's first to
-- its latest day of predictions (a day without any is a row with n_predictions = 0):
--   volume    the day's prediction count against the mean of the same weekday over the
--             previous data_health_volume_baseline_weeks weeks (vigie.is_same_weekday_before:
--             weekend traffic is not Monday's), an anomaly past data_health_volume_change_ratio
--             either way; not judged with fewer than data_health_volume_min_baseline_weeks;
--   freshness hours from the model's latest scored_at and latest ingestion to the build
--             (checked_at), on the model's latest day only, stale past
--             data_health_max_staleness_hours;
--   labels    latency from scoring to the first label (p50 / p95 days), coverage, and
--             coverage by sensitive group from data_health_label_coverage: uneven when a
--             judged group's coverage is below label_coverage_ratio_min of the best-covered.
-- Reads the predictions of the build's snapshot (vigie.build_watermark()).
{%- set double = vigie.type_double() %}
{%- set latency_days = '(' ~ vigie.seconds_between('predictions.scored_at',
                                                  'first_labels.first_label_at') ~ ') / 86400.0' %}
with predictions as (
    select prediction_id, model_name, window_date, scored_at, ingested_at
    from {{ ref('stg_raw__predictions') }}
    where ingested_at <= {{ vigie.build_watermark() }}
),

first_labels as (
    select prediction_id, min(received_at) as first_label_at
    from {{ ref('stg_raw__feedback') }}
    where feedback_kind = 'label' and outcome is not null
    group by prediction_id
),

coverage_by_group as (
    select * from {{ ref('data_health_label_coverage') }}
),

thresholds as (
    select
        max(case when threshold_name = 'data_health_volume_baseline_weeks'
                 then threshold_value end) as baseline_weeks,
        max(case when threshold_name = 'data_health_volume_min_baseline_weeks'
                 then threshold_value end) as min_baseline_weeks,
        max(case when threshold_name = 'data_health_volume_change_ratio'
                 then threshold_value end) as volume_change_ratio,
        max(case when threshold_name = 'data_health_max_staleness_hours'
                 then threshold_value end) as max_staleness_hours
    from {{ ref('thresholds') }}
),

daily as (
    select
        window_date,
        model_name,
        count(*) as n_predictions,
        max(scored_at) as latest_scored_at,
        max(ingested_at) as latest_ingested_at
    from predictions
    group by window_date, model_name
),

model_days as (
    select
        model_name,
        min(window_date) as first_date,
        max(window_date) as last_date,
        max(latest_scored_at) as latest_scored_at,
        max(latest_ingested_at) as latest_ingested_at
    from daily
    group by model_name
),

calendar as (
    -- every day from the model's first to its latest (ten years at most)
    select
        model_days.model_name,
        cast({{ dbt.dateadd('day', 'series.generated_number - 1', 'model_days.first_date') }}
             as date) as window_date
    from model_days
    cross join ({{ dbt.generate_series(3660) }}) as series
    where series.generated_number - 1
        <= {{ dbt.datediff('model_days.first_date', 'model_days.last_date', 'day') }}
),

volumes as (
    select
        calendar.window_date,
        calendar.model_name,
        coalesce(daily.n_predictions, 0) as n_predictions
    from calendar
    left join daily
        on calendar.window_date = daily.window_date
        and calendar.model_name = daily.model_name
),

volume_baselines as (
    select
        observed.window_date,
        observed.model_name,
        avg(cast(previous.n_predictions as {{ double }})) as volume_baseline,
        count(*) as n_volume_baseline_days
    from volumes as observed
    cross join thresholds
    inner join volumes as previous
        on observed.model_name = previous.model_name
        and {{ vigie.is_same_weekday_before('previous.window_date', 'observed.window_date',
                                            'thresholds.baseline_weeks') }}
    group by observed.window_date, observed.model_name
),

latencies as (
    select
        predictions.window_date,
        predictions.model_name,
        count(*) as n_labelled,
        {{ vigie.percentile_cont(latency_days, 0.5) }} as label_latency_p50_days,
        {{ vigie.percentile_cont(latency_days, 0.95) }} as label_latency_p95_days
    from predictions
    inner join first_labels on predictions.prediction_id = first_labels.prediction_id
    group by predictions.window_date, predictions.model_name
),

coverage_gaps as (
    -- the least-covered judged group (of any attribute) against its attribute's best
    select window_date, model_name, min(coverage_ratio_to_best) as label_coverage_ratio
    from coverage_by_group
    where coverage_ratio_to_best is not null
    group by window_date, model_name
),

under_covered as (
    select
        window_date,
        model_name,
        {{ vigie.ordered_listagg("attribute || '=' || group_name", "', '",
                                 "order by attribute, group_name") }}
            as under_covered_groups
    from coverage_by_group
    where is_under_covered
    group by window_date, model_name
),

measured as (
    select
        volumes.window_date,
        volumes.model_name,
        volumes.n_predictions,
        volume_baselines.volume_baseline,
        coalesce(volume_baselines.n_volume_baseline_days, 0) as n_volume_baseline_days,
        case when volume_baselines.n_volume_baseline_days >= thresholds.min_baseline_weeks
                  and volume_baselines.volume_baseline > 0
             then volumes.n_predictions / volume_baselines.volume_baseline - 1
        end as volume_change,
        thresholds.volume_change_ratio,
        daily.latest_scored_at,
        daily.latest_ingested_at,
        volumes.window_date = model_days.last_date as is_latest_day,
        {{ vigie.current_timestamp_utc() }} as checked_at,
        model_days.latest_scored_at as model_latest_scored_at,
        model_days.latest_ingested_at as model_latest_ingested_at,
        thresholds.max_staleness_hours,
        coalesce(latencies.n_labelled, 0) as n_labelled,
        latencies.label_latency_p50_days,
        latencies.label_latency_p95_days,
        coverage_gaps.label_coverage_ratio,
        under_covered.under_covered_groups
    from volumes
    cross join thresholds
    inner join model_days on volumes.model_name = model_days.model_name
    left join daily
        on volumes.window_date = daily.window_date and volumes.model_name = daily.model_name
    left join volume_baselines
        on volumes.window_date = volume_baselines.window_date
        and volumes.model_name = volume_baselines.model_name
    left join latencies
        on volumes.window_date = latencies.window_date
        and volumes.model_name = latencies.model_name
    left join coverage_gaps
        on volumes.window_date = coverage_gaps.window_date
        and volumes.model_name = coverage_gaps.model_name
    left join under_covered
        on volumes.window_date = under_covered.window_date
        and volumes.model_name = under_covered.model_name
),

freshness as (
    select
        measured.*,
        case when is_latest_day then
            ({{ vigie.seconds_between('model_latest_scored_at', 'checked_at') }}) / 3600.0
        end as hours_since_latest_score,
        case when is_latest_day then
            ({{ vigie.seconds_between('model_latest_ingested_at', 'checked_at') }}) / 3600.0
        end as hours_since_latest_ingestion
    from measured
),

flagged as (
    select
        freshness.*,
        case when volume_change is not null
             then abs(volume_change) > volume_change_ratio end as is_volume_anomaly,
        case when is_latest_day
             then hours_since_latest_score > max_staleness_hours
                  or hours_since_latest_ingestion > max_staleness_hours end as is_stale,
        case when label_coverage_ratio is not null
             then under_covered_groups is not null end as is_label_coverage_uneven
    from freshness
),

final as (
    select
        window_date,
        cast(model_name as {{ dbt.type_string() }}) as model_name,
        cast(n_predictions as {{ dbt.type_bigint() }}) as n_predictions,
        cast(volume_baseline as {{ double }}) as volume_baseline,
        cast(n_volume_baseline_days as {{ dbt.type_bigint() }}) as n_volume_baseline_days,
        cast(volume_change as {{ double }}) as volume_change,
        cast(volume_change_ratio as {{ double }}) as volume_change_ratio,
        is_volume_anomaly,
        latest_scored_at,
        latest_ingested_at,
        is_latest_day,
        checked_at,
        cast(hours_since_latest_score as {{ double }}) as hours_since_latest_score,
        cast(hours_since_latest_ingestion as {{ double }}) as hours_since_latest_ingestion,
        cast(max_staleness_hours as {{ double }}) as max_staleness_hours,
        is_stale,
        cast(n_labelled as {{ dbt.type_bigint() }}) as n_labelled,
        cast(case when n_predictions > 0
                  then cast(n_labelled as {{ double }}) / n_predictions end
             as {{ double }}) as label_coverage,
        cast(label_latency_p50_days as {{ double }}) as label_latency_p50_days,
        cast(label_latency_p95_days as {{ double }}) as label_latency_p95_days,
        cast(label_coverage_ratio as {{ double }}) as label_coverage_ratio,
        cast(under_covered_groups as {{ dbt.type_string() }}) as under_covered_groups,
        is_label_coverage_uneven,
        cast(case
            when is_volume_anomaly or is_stale or is_label_coverage_uneven then 'anomaly'
            when is_volume_anomaly is null and is_label_coverage_uneven is null
                 and is_stale is null then 'not_assessable'
            else 'ok'
        end as {{ dbt.type_string() }}) as health_status
    from flagged
)

select * from final
