-- Parity gaps per day × model × version × sensitive attribute, over the non-suppressed groups,
-- with their bootstrap percentile intervals, and the equalized odds difference estimated
-- without labels (group_performance_estimates) with its band: max − min of the groups'
-- estimated rates, and from their bands the smallest and largest gap they allow.
with group_parity as (
    select * from {{ ref('group_parity') }}
),

resampled as (
    select * from {{ ref('int_prediction_groups_resampled') }}
),

group_estimates as (
    select * from {{ ref('group_performance_estimates') }}
    where not is_suppressed
),

thresholds as (
    select * from {{ ref('thresholds') }}
),

summary as (
    {{ vigie.fairness_summary_from('group_parity', ['window_date', 'model_name', 'model_version']) }}
),

intervals as (
    {{ vigie.fairness_intervals_from('resampled', 'group_parity',
                                     ['window_date', 'model_name', 'model_version']) }}
),

with_intervals as (
    {{ vigie.fairness_summary_with_intervals('summary', 'intervals',
                                             ['window_date', 'model_name', 'model_version']) }}
),

{%- set gap = "max({0}) - min({1})" %}
estimated_gaps as (
    select
        window_date,
        model_name,
        model_version,
        attribute,
        {%- for rate in ['true_positive_rate', 'false_positive_rate'] %}
        {{ gap.format('estimated_' ~ rate, 'estimated_' ~ rate) }} as {{ rate }}_gap,
        {{ gap.format('estimated_' ~ rate ~ '_low', 'estimated_' ~ rate ~ '_high') }}
            as {{ rate }}_gap_low,
        {{ gap.format('estimated_' ~ rate ~ '_high', 'estimated_' ~ rate ~ '_low') }}
            as {{ rate }}_gap_high{{ ',' if not loop.last }}
        {%- endfor %}
    from group_estimates
    group by window_date, model_name, model_version, attribute
),

estimated as (
    -- a gap is null unless both rates have one (every compared group lacks an estimate
    -- otherwise); greatest() would skip a null on PostgreSQL and Spark
    select
        window_date,
        model_name,
        model_version,
        attribute,
        case when true_positive_rate_gap is not null and false_positive_rate_gap is not null
             then greatest(true_positive_rate_gap, false_positive_rate_gap)
        end as estimated_equalized_odds_difference,
        case when true_positive_rate_gap_low is not null and false_positive_rate_gap_low is not null
             then greatest(0, true_positive_rate_gap_low, false_positive_rate_gap_low)
        end as estimated_equalized_odds_difference_low,
        case when true_positive_rate_gap_high is not null and false_positive_rate_gap_high is not null
             then greatest(true_positive_rate_gap_high, false_positive_rate_gap_high)
        end as estimated_equalized_odds_difference_high
    from estimated_gaps
),

final as (
    select
        with_intervals.*,
        cast(estimated.estimated_equalized_odds_difference as {{ vigie.type_double() }})
            as estimated_equalized_odds_difference,
        cast(estimated.estimated_equalized_odds_difference_low as {{ vigie.type_double() }})
            as estimated_equalized_odds_difference_low,
        cast(estimated.estimated_equalized_odds_difference_high as {{ vigie.type_double() }})
            as estimated_equalized_odds_difference_high,
        estimated.estimated_equalized_odds_difference <= (
            select min(threshold_value) from thresholds
            where threshold_name = 'equalized_odds_bound'
        ) as passes_estimated_equalized_odds
    from with_intervals
    left join estimated
        on with_intervals.window_date = estimated.window_date
        and with_intervals.model_name = estimated.model_name
        and with_intervals.model_version = estimated.model_version
        and with_intervals.attribute = estimated.attribute
)

select * from final
