-- Every alert Vigie raises, one list for the webhook, a BI tool and the API: a drift status
-- that worsened (drift_summary), a fairness alert (fairness_alerts), a KPI alert (kpi_alerts),
-- a blocked promotion (the registry) and a data-health anomaly (data_health). The alert key
-- (kind × model × version × subject) is what suppression works on: of the alerts of a key not
-- yet handled (raw.alert_deliveries, as of this build), only the latest is to be sent, and
-- none while one of the key went out less than alert_suppression_hours ago; the others are to
-- be suppressed. A table, not a view: on PostgreSQL a rebuilt parent is dropped with CASCADE,
-- which would drop a view over it until the next full build. Every build and every delivery
-- run (the alert_delivery job) rebuild it.
{%- set text = dbt.type_string() %}
{%- set ts = dbt.type_timestamp() %}
{%- set num = vigie.gate_number %}
with drift_days as (
    select
        window_date,
        model_name,
        model_version,
        status,
        alert_share,
        drifted_features,
        lag(status) over (
            partition by model_name, model_version order by window_date
        ) as previous_status
    from {{ ref('drift_summary') }}
),

drift as (
    select
        'drift' as alert_kind,
        'drift_' || status as check_name,
        case status when 'alert' then 'critical' else 'warning' end as severity,
        model_name,
        model_version,
        window_date,
        cast(window_date as {{ ts }}) as raised_at,
        'drift' as subject,
        'drift ' || status || ' (was ' || coalesce(previous_status, 'none') || '): alert share '
            || {{ num('alert_share') }} || ', drifted: ' || coalesce(drifted_features, '')
            as message
    from drift_days
    where status in ('warning', 'alert')
        and (previous_status is null or previous_status <> status)
),

fairness as (
    select
        'fairness' as alert_kind,
        check_name,
        'critical' as severity,
        model_name,
        model_version,
        window_date,
        cast(window_date as {{ ts }}) as raised_at,
        attribute || ' ' || window_kind as subject,
        check_name || ' past its bound for ' || attribute || ' (' || window_kind || '): '
            || {{ num('observed_value') }} || ' [' || {{ num('ci_low') }} || ', '
            || {{ num('ci_high') }} || '] against ' || {{ num('bound') }} || ', '
            || cast(breached_days_in_a_row as {{ text }}) || ' day(s) in a row' as message
    from {{ ref('fairness_alerts') }}
),

kpi as (
    select
        'kpi' as alert_kind,
        kpi_name as check_name,
        'warning' as severity,
        model_name,
        model_version,
        window_date,
        cast(window_date as {{ ts }}) as raised_at,
        kpi_name as subject,
        kpi_name || ' ' || {{ num('relative_change', 1, 100) }} || ' % against its '
            || baseline_kind || ' baseline (' || {{ num('observed_value') }} || ' vs '
            || {{ num('baseline_value') }} || ')' as message
    from {{ ref('kpi_alerts') }}
),

promotion as (
    -- the registry's record of the gate's verdict (promotion_decisions shows it with the gate's
    -- numbers; the record itself exists before any retraining mart is built)
    select
        'promotion' as alert_kind,
        'promotion_blocked' as check_name,
        'critical' as severity,
        model_name,
        model_version,
        cast(recorded_at as date) as window_date,
        recorded_at as raised_at,
        'candidate ' || model_version as subject,
        'promotion of ' || model_version || ' blocked: ' || coalesce(reason, '') as message
    from {{ ref('stg_raw__model_registry') }}
    where registry_event = 'blocked'
),

health as (
    select * from {{ ref('data_health') }}
),

data_health as (
    select
        'data_health' as alert_kind,
        'volume' as check_name,
        'warning' as severity,
        model_name,
        cast(null as {{ text }}) as model_version,
        window_date,
        cast(window_date as {{ ts }}) as raised_at,
        'volume' as subject,
        cast(n_predictions as {{ text }}) || ' predictions, '
            || {{ num('volume_change', 1, 100) }} || ' % against the same weekday ('
            || {{ num('volume_baseline', 1) }} || ')' as message
    from health
    where is_volume_anomaly
    union all
    select
        'data_health', 'stale', 'warning', model_name, cast(null as {{ text }}), window_date,
        checked_at, 'freshness',
        'no fresh data: ' || {{ num('hours_since_latest_score', 1) }}
            || ' h since the latest score, ' || {{ num('hours_since_latest_ingestion', 1) }}
            || ' h since the latest ingestion (bound ' || {{ num('max_staleness_hours', 0) }}
            || ' h)'
    from health
    where is_stale
    union all
    select
        'data_health', 'label_coverage', 'warning', model_name, cast(null as {{ text }}),
        window_date, cast(window_date as {{ ts }}), 'label coverage',
        'labels cover ' || under_covered_groups || ' less than the best-covered group (ratio '
            || {{ num('label_coverage_ratio') }} || '): labelled fairness numbers are biased'
    from health
    where is_label_coverage_uneven
),

raised as (
    select * from drift
    union all select * from fairness
    union all select * from kpi
    union all select * from promotion
    union all select * from data_health
),

keyed as (
    select
        raised.*,
        alert_kind || '|' || model_name || '|' || coalesce(model_version, '*') || '|'
            || check_name || '|' || subject as alert_key
    from raised
),

identified as (
    select
        keyed.*,
        alert_key || '|' || cast(raised_at as {{ text }}) as alert_id
    from keyed
),

deliveries as (
    select * from {{ ref('stg_raw__alert_deliveries') }}
),

handled as (
    -- the latest terminal attempt of each alert (sent or suppressed), and the failed ones
    select
        alert_id,
        max(case when delivery_status = 'sent' then attempted_at end) as sent_at,
        max(case when delivery_status = 'suppressed' then attempted_at end) as suppressed_at,
        sum(case when delivery_status = 'failed' then 1 else 0 end) as n_failed_attempts
    from deliveries
    group by alert_id
),

last_sent as (
    select alert_key, max(attempted_at) as last_sent_at
    from deliveries
    where delivery_status = 'sent'
    group by alert_key
),

suppression as (
    select min(threshold_value) as suppression_hours
    from {{ ref('thresholds') }}
    where threshold_name = 'alert_suppression_hours'
),

open_alerts as (
    select
        identified.alert_id,
        row_number() over (
            partition by identified.alert_key
            order by identified.raised_at desc, identified.alert_id desc
        ) as rank_in_key
    from identified
    left join handled on identified.alert_id = handled.alert_id
    where handled.sent_at is null and handled.suppressed_at is null
),

final as (
    select
        cast(identified.alert_id as {{ text }}) as alert_id,
        cast(identified.alert_key as {{ text }}) as alert_key,
        cast(identified.alert_kind as {{ text }}) as alert_kind,
        cast(identified.check_name as {{ text }}) as check_name,
        cast(identified.severity as {{ text }}) as severity,
        cast(identified.model_name as {{ text }}) as model_name,
        cast(identified.model_version as {{ text }}) as model_version,
        identified.window_date,
        cast(identified.raised_at as {{ ts }}) as raised_at,
        cast(identified.subject as {{ text }}) as subject,
        cast(identified.message as {{ text }}) as message,
        cast(case
            when handled.sent_at is not null then 'sent'
            when handled.suppressed_at is not null then 'suppressed'
            -- no suppression interval set: send nothing (fail closed, never a flood)
            when suppression.suppression_hours is null then 'to_suppress'
            when last_sent.last_sent_at >= {{ dbt.dateadd(
                     'hour', '-1 * cast(suppression.suppression_hours as ' ~ dbt.type_int() ~ ')',
                     vigie.current_timestamp_utc()) }} then 'to_suppress'
            when open_alerts.rank_in_key > 1 then 'to_suppress'
            else 'to_send'
        end as {{ text }}) as delivery_status,
        cast(handled.sent_at as {{ ts }}) as sent_at,
        cast(coalesce(handled.n_failed_attempts, 0) as {{ dbt.type_bigint() }})
            as n_failed_attempts
    from identified
    cross join suppression
    left join handled on identified.alert_id = handled.alert_id
    left join last_sent on identified.alert_key = last_sent.alert_key
    left join open_alerts on identified.alert_id = open_alerts.alert_id
)

select * from final
