-- One row per day × model × version × KPI that moved the bad way by more than kpi_drop_ratio
-- against its trailing baseline, the mean of the KPI over the 7 calendar days before (days with
-- a value). Bad direction: down for approval_rate, avg_rating, conversion_rate,
-- engagement_rate; up for default_rate, cost_per_decision, latency_p95_ms. A zero or missing
-- baseline raises nothing (no relative change).
with business_kpis as (
    select * from {{ ref('business_kpis') }}
),

thresholds as (
    select * from {{ ref('thresholds') }}
),

{%- set kpis = [
    ('approval_rate', 'down'),
    ('default_rate', 'up'),
    ('cost_per_decision', 'up'),
    ('avg_rating', 'down'),
    ('conversion_rate', 'down'),
    ('engagement_rate', 'down'),
    ('latency_p95_ms', 'up'),
] %}

kpi_values as (
    {%- for kpi_name, bad_direction in kpis %}
    select
        window_date,
        model_name,
        model_version,
        '{{ kpi_name }}' as kpi_name,
        '{{ bad_direction }}' as bad_direction,
        cast({{ kpi_name }} as {{ vigie.type_double() }}) as kpi_value
    from business_kpis
    where {{ kpi_name }} is not null
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

same_weekday as (
    select
        observed.window_date,
        observed.model_name,
        observed.model_version,
        observed.kpi_name,
        observed.bad_direction,
        observed.kpi_value as observed_value,
        avg(case
            when {{ dbt.datediff('previous.window_date', 'observed.window_date', 'day') }}
                in (7, 14, 21, 28)
            then previous.kpi_value
        end) as same_weekday_baseline_value
    from kpi_values as observed
    inner join kpi_values as previous
        on observed.model_name = previous.model_name
        and observed.model_version = previous.model_version
        and observed.kpi_name = previous.kpi_name
        and previous.window_date < observed.window_date
        and previous.window_date >= {{ dbt.dateadd('day', -28, 'observed.window_date') }}
    group by
        observed.window_date,
        observed.model_name,
        observed.model_version,
        observed.kpi_name,
        observed.bad_direction,
        observed.kpi_value
),

trailing_week as (
    select
        observed.window_date,
        observed.model_name,
        observed.model_version,
        observed.kpi_name,
        avg(previous.kpi_value) as baseline_value,
        count(previous.kpi_value) as n_baseline_days
    from kpi_values as observed
    inner join kpi_values as previous
        on observed.model_name = previous.model_name
        and observed.model_version = previous.model_version
        and observed.kpi_name = previous.kpi_name
        and previous.window_date < observed.window_date
        and previous.window_date >= {{ dbt.dateadd('day', -7, 'observed.window_date') }}
    group by observed.window_date, observed.model_name, observed.model_version, observed.kpi_name
),

compared as (
    select
        same_weekday.window_date,
        same_weekday.model_name,
        same_weekday.model_version,
        same_weekday.kpi_name,
        same_weekday.bad_direction,
        same_weekday.observed_value,
        trailing_week.baseline_value,
        trailing_week.n_baseline_days,
        same_weekday.same_weekday_baseline_value,
        (same_weekday.observed_value - trailing_week.baseline_value)
            / nullif(trailing_week.baseline_value, 0) as relative_change,
        (
            select min(threshold_value) from thresholds where threshold_name = 'kpi_drop_ratio'
        ) as alert_ratio
    from same_weekday
    inner join trailing_week
        on same_weekday.window_date = trailing_week.window_date
        and same_weekday.model_name = trailing_week.model_name
        and same_weekday.model_version = trailing_week.model_version
        and same_weekday.kpi_name = trailing_week.kpi_name
),

final as (
    select
        window_date,
        model_name,
        model_version,
        kpi_name,
        bad_direction,
        observed_value,
        baseline_value,
        cast(n_baseline_days as {{ dbt.type_bigint() }}) as n_baseline_days,
        cast(same_weekday_baseline_value as {{ vigie.type_double() }})
            as same_weekday_baseline_value,
        relative_change,
        cast(alert_ratio as {{ vigie.type_double() }}) as alert_ratio
    from compared
    where
        (bad_direction = 'down' and relative_change < -alert_ratio)
        or (bad_direction = 'up' and relative_change > alert_ratio)
)

select * from final
