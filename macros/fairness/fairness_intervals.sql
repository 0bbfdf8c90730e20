{#- Bootstrap percentile intervals of the fairness summary, per partition × attribute.

    `sums` holds bootstrap_resample_sums (macros/stats/bootstrap.sql) per partition × attribute
    × group × resample; `parity` the group-parity relation of the point estimates, whose
    is_suppressed groups stay out exactly as they do from the point estimates. In each resample
    the compared groups' selection rate, TPR and FPR come from the weighted counts, and the
    demographic parity difference and ratio and the equalized odds difference from them as
    fairness_summary_from computes them. A resample that leaves a compared group without the
    rate a metric needs (no weighted row, labelled favourable or unfavourable outcome) has no
    value for it, and the metric's interval is null unless every one of the
    bootstrap_resamples resamples has a value: a sample too thin to bound a metric is not bounded.
    The bounds are numpy.quantile's linear interpolation at (1 - level) / 2 and (1 + level) / 2,
    level = bootstrap_interval_level. -#}
{% macro fairness_intervals_from(sums, parity, partition_by, thresholds='thresholds') %}
    {%- if partition_by is string or partition_by is not sequence or partition_by | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "fairness_intervals_from: argument `partition_by` must be a non-empty list of "
            ~ "columns, got " ~ partition_by) }}
    {%- endif -%}
    {%- set double = vigie.type_double() -%}
    {%- set keys = partition_by + ['attribute'] -%}
    {%- set metrics = ['demographic_parity_ratio', 'demographic_parity_difference',
                       'equalized_odds_difference'] -%}
    with compared as (
        select
            {%- for column in keys %}
            resampled.{{ column }},
            {%- endfor %}
            resampled.resample_index,
            case when resampled.n_predictions > 0
                 then cast(resampled.n_favorable_decisions as {{ double }}) / resampled.n_predictions
            end as selection_rate,
            case when resampled.n_favorable_outcomes > 0
                 then cast(resampled.n_true_favorable as {{ double }}) / resampled.n_favorable_outcomes
            end as true_positive_rate,
            case when resampled.n_unfavorable_outcomes > 0
                 then cast(resampled.n_false_favorable as {{ double }})
                     / resampled.n_unfavorable_outcomes
            end as false_positive_rate
        from {{ sums }} as resampled
        inner join {{ parity }} as point
            on {% for column in keys + ['group_name'] -%}
            resampled.{{ column }} = point.{{ column }}{{ " and " if not loop.last }}
            {%- endfor %}
        where not point.is_suppressed
    ),

    resample_rates as (
        select
            {%- for column in keys %}
            {{ column }},
            {%- endfor %}
            resample_index,
            count(*) as n_groups,
            count(selection_rate) as n_with_rate,
            sum(case when true_positive_rate is not null and false_positive_rate is not null
                     then 1 else 0 end) as n_with_odds,
            min(selection_rate) as min_rate,
            max(selection_rate) as max_rate,
            max(true_positive_rate) - min(true_positive_rate) as tpr_difference,
            max(false_positive_rate) - min(false_positive_rate) as fpr_difference
        from compared
        group by
            {%- for column in keys %}
            {{ column }},
            {%- endfor %}
            resample_index
    ),

    resample_metrics as (
        select
            {%- for column in keys %}
            {{ column }},
            {%- endfor %}
            case when n_with_rate = n_groups then min_rate / nullif(max_rate, 0) end
                as demographic_parity_ratio,
            case when n_with_rate = n_groups then max_rate - min_rate end
                as demographic_parity_difference,
            case
                when n_with_odds < n_groups then null
                when tpr_difference >= fpr_difference then tpr_difference
                else fpr_difference
            end as equalized_odds_difference
        from resample_rates
    ),

    ranked as (
        select
            resample_metrics.*,
            {%- for metric in metrics %}
            row_number() over (partition by {{ keys | join(', ') }}
                               order by {{ metric }}) as {{ metric }}_rank,
            count({{ metric }}) over (partition by {{ keys | join(', ') }}) as {{ metric }}_count
            {{- "," if not loop.last }}
            {%- endfor %}
        from resample_metrics
    ),

    -- numpy's linear quantile: position h = (n - 1) q, between ranks floor(h) + 1 and + 2
    positions as (
        select
            cast(n_resamples as {{ dbt.type_bigint() }}) as n_resamples,
            {%- for side, fraction in [('low', '(1 - level) / 2'), ('high', '(1 + level) / 2')] %}
            floor((n_resamples - 1) * {{ fraction }}) + 1 as {{ side }}_rank,
            (n_resamples - 1) * {{ fraction }} - floor((n_resamples - 1) * {{ fraction }})
                as {{ side }}_weight{{ "," if not loop.last }}
            {%- endfor %}
        from (
            select
                {{ vigie.bootstrap_resamples(thresholds) }} as n_resamples,
                max(case when threshold_name = 'bootstrap_interval_level'
                         then threshold_value end) as level
            from {{ thresholds }}
        ) as settings
    )

    select
        {%- for column in keys %}
        ranked.{{ column }},
        {%- endfor %}
        {%- for metric in metrics %}
        {%- for side in ['low', 'high'] %}
        case when max(ranked.{{ metric }}_count) = max(positions.n_resamples) then
            sum(case
                when ranked.{{ metric }}_rank = positions.{{ side }}_rank
                    then ranked.{{ metric }} * (1 - positions.{{ side }}_weight)
                when ranked.{{ metric }}_rank = positions.{{ side }}_rank + 1
                    then ranked.{{ metric }} * positions.{{ side }}_weight
                else 0
            end)
        end as {{ metric }}_ci_{{ side }},
        {%- endfor %}
        {%- endfor %}
        max(positions.n_resamples) as n_bootstrap_resamples
    from ranked
    cross join positions
    group by
        {%- for column in keys %}
        ranked.{{ column }}{{ "," if not loop.last }}
        {%- endfor %}
{% endmacro %}


{#- The point estimates of fairness_summary_from beside their intervals (null when the attribute
    has no compared group, so no resample; n_bootstrap_resamples is then 0). -#}
{% macro fairness_summary_with_intervals(summary, intervals, partition_by) %}
    {%- set metrics = ['demographic_parity_ratio', 'demographic_parity_difference',
                       'equalized_odds_difference'] -%}
    select
        {{ summary }}.*,
        {%- for metric in metrics %}
        cast({{ intervals }}.{{ metric }}_ci_low as {{ vigie.type_double() }}) as {{ metric }}_ci_low,
        cast({{ intervals }}.{{ metric }}_ci_high as {{ vigie.type_double() }}) as {{ metric }}_ci_high,
        {%- endfor %}
        cast(coalesce({{ intervals }}.n_bootstrap_resamples, 0) as {{ dbt.type_bigint() }})
            as n_bootstrap_resamples
    from {{ summary }}
    left join {{ intervals }}
        on {% for column in partition_by + ['attribute'] -%}
        {{ summary }}.{{ column }} = {{ intervals }}.{{ column }}{{ " and " if not loop.last }}
        {%- endfor %}
{% endmacro %}
