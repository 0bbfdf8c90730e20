-- Every KPI of marts.business_kpis has one check in seeds/kpi_checks.csv with a known bad
-- direction (up, down), a known baseline (trailing_week, same_weekday) and at least one week
-- of same-weekday history: a row returned is a KPI that kpi_alerts would check wrongly or not
-- at all.
with kpis as (
    {%- set names = ['approval_rate', 'default_rate', 'cost_per_decision', 'avg_rating',
                     'conversion_rate', 'engagement_rate', 'latency_p95_ms'] %}
    {%- for name in names %}
    select '{{ name }}' as kpi_name
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

checks as (
    select * from {{ ref('kpi_checks') }}
)

select
    coalesce(kpis.kpi_name, checks.kpi_name) as kpi_name,
    checks.bad_direction,
    checks.baseline,
    checks.baseline_weeks
from kpis
full outer join checks on kpis.kpi_name = checks.kpi_name
where kpis.kpi_name is null
    or checks.kpi_name is null
    or coalesce(checks.bad_direction, '') not in ('up', 'down')
    or coalesce(checks.baseline, '') not in ('trailing_week', 'same_weekday')
    or coalesce(checks.baseline_weeks, 0) < 1
