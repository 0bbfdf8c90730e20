{#- `previous_date` falls on the weekday of `observed_date`, a whole number of weeks before it,
    at most `weeks` weeks: the weekday baseline of a day with a weekly rhythm (weekend traffic
    is not Monday's). `weeks` may be a column. The one definition behind kpi_alerts' and
    data_health's same-weekday baselines. -#}
{% macro is_same_weekday_before(previous_date, observed_date, weeks) -%}
    {%- set days_between = dbt.datediff(previous_date, observed_date, 'day') -%}
    ({{ previous_date }} < {{ observed_date }}
        and {{ days_between }} <= 7 * {{ weeks }}
        and mod({{ days_between }}, 7) = 0)
{%- endmacro %}
