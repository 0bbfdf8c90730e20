-- Fairness alerts per window × day × model × version × attribute × check: the days where a
-- parity gap is beyond its bound with its whole bootstrap interval, not only its point
-- estimate, for fairness_consecutive_windows windows in a row. four_fifths: the interval of
-- the demographic parity ratio lies wholly below four_fifths_ratio (its upper bound is below);
-- equalized_odds: the interval of the equalized odds difference lies wholly above
-- equalized_odds_bound (its lower bound is above). Both windows of the fairness marts: the
-- day (fairness_summary) and the 7 days ending on it (fairness_summary_7d). A gap without an
-- interval (a group too small, no labels) cannot be judged this way and raises no alert here;
-- the promotion gate blocks on it instead. estimated_equalized_odds: the same rule on the
-- equalized odds difference estimated without labels (fairness_summary, the day window only),
-- its band wholly above the bound: the alert that comes before the labels do.
with windows as (
    {%- for window_kind, relation in [('day', 'fairness_summary'), ('7d', 'fairness_summary_7d')] %}
    select
        '{{ window_kind }}' as window_kind,
        window_date,
        model_name,
        model_version,
        attribute,
        demographic_parity_ratio,
        demographic_parity_ratio_ci_low,
        demographic_parity_ratio_ci_high,
        equalized_odds_difference,
        equalized_odds_difference_ci_low,
        equalized_odds_difference_ci_high,
        {%- if window_kind == 'day' %}
        estimated_equalized_odds_difference,
        estimated_equalized_odds_difference_low,
        estimated_equalized_odds_difference_high,
        {%- else %}
        cast(null as {{ vigie.type_double() }}) as estimated_equalized_odds_difference,
        cast(null as {{ vigie.type_double() }}) as estimated_equalized_odds_difference_low,
        cast(null as {{ vigie.type_double() }}) as estimated_equalized_odds_difference_high,
        {%- endif %}
        n_predictions,
        n_labeled
    from {{ ref(relation) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

thresholds as (
    select
        max(case when threshold_name = 'four_fifths_ratio' then threshold_value end)
            as four_fifths_ratio,
        max(case when threshold_name = 'equalized_odds_bound' then threshold_value end)
            as equalized_odds_bound,
        coalesce(max(case when threshold_name = 'fairness_consecutive_windows'
            then threshold_value end), 1) as fairness_consecutive_windows
    from {{ ref('thresholds') }}
),

checks as (
    select
        windows.window_kind,
        windows.window_date,
        windows.model_name,
        windows.model_version,
        windows.attribute,
        'four_fifths' as check_name,
        windows.demographic_parity_ratio as observed_value,
        windows.demographic_parity_ratio_ci_low as ci_low,
        windows.demographic_parity_ratio_ci_high as ci_high,
        thresholds.four_fifths_ratio as bound,
        windows.demographic_parity_ratio_ci_high < thresholds.four_fifths_ratio as is_breach,
        windows.n_predictions,
        windows.n_labeled
    from windows
    cross join thresholds
    union all
    select
        windows.window_kind,
        windows.window_date,
        windows.model_name,
        windows.model_version,
        windows.attribute,
        'equalized_odds' as check_name,
        windows.equalized_odds_difference as observed_value,
        windows.equalized_odds_difference_ci_low as ci_low,
        windows.equalized_odds_difference_ci_high as ci_high,
        thresholds.equalized_odds_bound as bound,
        windows.equalized_odds_difference_ci_low > thresholds.equalized_odds_bound as is_breach,
        windows.n_predictions,
        windows.n_labeled
    from windows
    cross join thresholds
    union all
    select
        windows.window_kind,
        windows.window_date,
        windows.model_name,
        windows.model_version,
        windows.attribute,
        'estimated_equalized_odds' as check_name,
        windows.estimated_equalized_odds_difference as observed_value,
        windows.estimated_equalized_odds_difference_low as ci_low,
        windows.estimated_equalized_odds_difference_high as ci_high,
        thresholds.equalized_odds_bound as bound,
        windows.estimated_equalized_odds_difference_low > thresholds.equalized_odds_bound
            as is_breach,
        windows.n_predictions,
        windows.n_labeled
    from windows
    cross join thresholds
),

breaches as (
    select * from checks
    where is_breach
),

run_lengths as (
    {{ vigie.days_in_a_row('breaches', ['window_kind', 'model_name', 'model_version',
                                        'attribute', 'check_name']) }}
),

final as (
    select
        cast(run_lengths.window_kind as {{ dbt.type_string() }}) as window_kind,
        cast(run_lengths.window_date as date) as window_date,
        cast(run_lengths.model_name as {{ dbt.type_string() }}) as model_name,
        cast(run_lengths.model_version as {{ dbt.type_string() }}) as model_version,
        cast(run_lengths.attribute as {{ dbt.type_string() }}) as attribute,
        cast(run_lengths.check_name as {{ dbt.type_string() }}) as check_name,
        cast(run_lengths.observed_value as {{ vigie.type_double() }}) as observed_value,
        cast(run_lengths.ci_low as {{ vigie.type_double() }}) as ci_low,
        cast(run_lengths.ci_high as {{ vigie.type_double() }}) as ci_high,
        cast(run_lengths.bound as {{ vigie.type_double() }}) as bound,
        cast(run_lengths.days_in_a_row as {{ dbt.type_bigint() }})
            as breached_days_in_a_row,
        cast(run_lengths.n_predictions as {{ dbt.type_bigint() }}) as n_predictions,
        cast(run_lengths.n_labeled as {{ dbt.type_bigint() }}) as n_labeled
    from run_lengths
    cross join thresholds
    where run_lengths.days_in_a_row >= thresholds.fairness_consecutive_windows
)

select * from final
