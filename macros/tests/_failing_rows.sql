{#- The rows of `model` (within `row_condition`) that break `expectation`, a boolean SQL
    expression over one row; null values of `null_column` are left out of the check and of the
    share, as in Great Expectations. With `mostly`, rows come back only when the share of rows
    meeting the expectation is below `mostly` (zero rows = pass). -#}
{% macro vigie_failing_rows(model, expectation, row_condition=none, mostly=none,
                            null_column=none) %}
with scoped as (

    select * from {{ model }}
    where 1 = 1
    {%- if row_condition %}
        and ({{ row_condition }})
    {%- endif %}
    {%- if null_column is not none %}
        and {{ null_column }} is not null
    {%- endif %}

),

checked as (

    select
        scoped.*,
        case when {{ expectation }} then 1 else 0 end as vigie_meets_expectation
    from scoped

),
{%- if mostly is not none %}

share as (

    select
        count(*) as n_rows,
        coalesce(sum(vigie_meets_expectation), 0) as n_meeting
    from checked

),
{%- endif %}

failing as (

    select checked.*
    from checked
    {%- if mostly is not none %}
    cross join share
    {%- endif %}
    where checked.vigie_meets_expectation = 0
    {%- if mostly is not none %}
        -- the share n_meeting / n_rows is below mostly (kept exact: no division)
        and share.n_meeting < {{ mostly }} * share.n_rows
    {%- endif %}

)

select * from failing
{% endmacro %}


{#- The groups of `model` (within `row_condition`) whose `aggregate` (an SQL aggregate
    expression) lies outside [min_value, max_value], or outside the open interval when
    `strictly`. A null aggregate (no rows to aggregate) is not a failure, as in
    dbt-expectations. -#}
{% macro vigie_failing_aggregates(model, aggregate, min_value=none, max_value=none,
                                  group_by=none, row_condition=none, strictly=false) %}
{%- set lower = '>' if strictly else '>=' -%}
{%- set upper = '<' if strictly else '<=' -%}
with scoped as (

    select * from {{ model }}
    {%- if row_condition %}
    where {{ row_condition }}
    {%- endif %}

),

aggregated as (

    select
        {%- for column in group_by or [] %}
        {{ column }},
        {%- endfor %}
        {{ aggregate }} as aggregate_value
    from scoped
    {%- if group_by %}
    group by {{ group_by | join(', ') }}
    {%- endif %}

),

failing as (

    select *
    from aggregated
    where not (
        1 = 1
        {%- if min_value is not none %}
        and aggregate_value {{ lower }} {{ min_value }}
        {%- endif %}
        {%- if max_value is not none %}
        and aggregate_value {{ upper }} {{ max_value }}
        {%- endif %}
    )

)

select * from failing
{% endmacro %}
