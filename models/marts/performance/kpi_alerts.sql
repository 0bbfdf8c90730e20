-- One row per day × model × version × KPI that moved the bad way by more than kpi_drop_ratio
-- against its baseline, as seeds/kpi_checks.csv sets per KPI: its bad direction, and its
-- baseline, either the trailing week (the mean of the KPI over the 7 calendar days before,
-- days with a value) or the same weekday (the mean over the same weekday of the previous
-- baseline_weeks weeks), for a KPI with a weekly rhythm (weekend traffic is not Monday's). Both
-- baselines are shown. A zero or missing baseline raises nothing (no relative change); a KPI
-- missing from the seed is not checked.
with business_kpis as (
    select * from {{ ref('business_kpis') }}
),

thresholds as (
    select * from {{ ref('thresholds') }}
),

checks as (
    select * from {{ ref('kpi_checks') }}
),

{%- set kpis = ['approval_rate', 'default_rate', 'cost_per_decision', 'avg_rating',
                'conversion_rate', 'engagement_rate', 'latency_p95_ms'] %}

kpi_values as (
    select
        unpivoted.window_date,
        unpivoted.model_name,
        unpivoted.model_version,
        unpivoted.kpi_name,
        checks.bad_direction,
        checks.baseline as baseline_kind,
        checks.baseline_weeks,
        unpivoted.kpi_value
    from (
        {%- for kpi_name in kpis %}
        select
            window_date,
            model_name,
            model_version,
            '{{ kpi_name }}' as kpi_name,
            cast({{ kpi_name }} as {{ vigie.type_double() }}) as kpi_value
        from business_kpis
        where {{ kpi_name }} is not null
        {%- if not loop.last %}
        union all
        {%- endif %}
        {%- endfor %}
    ) as unpivoted
    inner join checks on unpivoted.kpi_name = checks.kpi_name
),

same_weekday as (
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
        and {{ vigie.is_same_weekday_before('previous.window_date', 'observed.window_date',
                                            'observed.baseline_weeks') }}
    group by observed.window_date, observed.model_name, observed.model_version, observed.kpi_name
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

chosen as (
    select
        observed.window_date,
        observed.model_name,
        observed.model_version,
        observed.kpi_name,
        observed.bad_direction,
        observed.baseline_kind,
        observed.kpi_value as observed_value,
        case observed.baseline_kind
            when 'same_weekday' then same_weekday.baseline_value
            when 'trailing_week' then trailing_week.baseline_value
        end as baseline_value,
        case observed.baseline_kind
            when 'same_weekday' then same_weekday.n_baseline_days
            when 'trailing_week' then trailing_week.n_baseline_days
        end as n_baseline_days,
        trailing_week.baseline_value as trailing_week_baseline_value,
        same_weekday.baseline_value as same_weekday_baseline_value
    from kpi_values as observed
    left join trailing_week
        on observed.window_date = trailing_week.window_date
        and observed.model_name = trailing_week.model_name
        and observed.model_version = trailing_week.model_version
        and observed.kpi_name = trailing_week.kpi_name
    left join same_weekday
        on observed.window_date = same_weekday.window_date
        and observed.model_name = same_weekday.model_name
        and observed.model_version = same_weekday.model_version
        and observed.kpi_name = same_weekday.kpi_name
),

compared as (
    select
        chosen.*,
        (chosen.observed_value - chosen.baseline_value)
            / nullif(chosen.baseline_value, 0) as relative_change,
        (
            select min(threshold_value) from thresholds where threshold_name = 'kpi_drop_ratio'
        ) as alert_ratio
    from chosen
),

final as (
    select
        window_date,
        model_name,
        model_version,
        kpi_name,
        bad_direction,
        cast(baseline_kind as {{ dbt.type_string() }}) as baseline_kind,
        observed_value,
        baseline_value,
        cast(n_baseline_days as {{ dbt.type_bigint() }}) as n_baseline_days,
        cast(trailing_week_baseline_value as {{ vigie.type_double() }})
            as trailing_week_baseline_value,
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
