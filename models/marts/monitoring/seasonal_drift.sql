-- Drift against the same weekday of production, per day × model × version × feature: the
-- Jensen-Shannon distance (natural log, as scipy's) between the day's distribution over the
-- PSI bins of feature_distributions and the pooled distribution of the same weekday over the
-- previous seasonal_baseline_weeks weeks (seeds/thresholds), beside the distance to the
-- training reference (feature_drift). A feature whose weekend traffic differs from its
-- weekdays' every week drifts from the reference every weekend and not from its own weekday;
-- a change that is new drifts from both. Drifted at jensenshannon_threshold, the threshold of
-- the reference's Jensen-Shannon test, once seasonal_min_baseline_weeks same-weekday days are
-- pooled: the distance between two small samples is biased up (one weekend day against
-- another, 480 rows each, crossed 0.1 by chance), so with fewer the verdict is null.
with distributions as (
    select window_date, model_name, model_version, feature_name, bin_label, n_current
    from {{ ref('feature_distributions') }}
),

reference_drift as (
    select window_date, model_name, model_version, feature_name, jensenshannon, is_drifted
    from {{ ref('feature_drift') }}
),

thresholds as (
    select
        max(case when threshold_name = 'seasonal_baseline_weeks' then threshold_value end)
            as baseline_weeks,
        max(case when threshold_name = 'seasonal_min_baseline_weeks' then threshold_value end)
            as min_baseline_weeks,
        max(case when threshold_name = 'jensenshannon_threshold' then threshold_value end)
            as jensenshannon_threshold
    from {{ ref('thresholds') }}
),

days as (
    select window_date, model_name, model_version, feature_name, sum(n_current) as n_current
    from distributions
    group by window_date, model_name, model_version, feature_name
),

baseline_days as (
    -- for each day, its same-weekday days of the previous baseline_weeks weeks
    select
        observed.window_date,
        observed.model_name,
        observed.model_version,
        observed.feature_name,
        previous.window_date as baseline_date,
        previous.n_current as n_baseline_day
    from days as observed
    cross join thresholds
    inner join days as previous
        on observed.model_name = previous.model_name
        and observed.model_version = previous.model_version
        and observed.feature_name = previous.feature_name
        and {{ vigie.is_same_weekday_before('previous.window_date', 'observed.window_date',
                                            'thresholds.baseline_weeks') }}
),

baseline_totals as (
    select
        window_date, model_name, model_version, feature_name,
        count(*) as n_baseline_days,
        sum(n_baseline_day) as n_baseline
    from baseline_days
    group by window_date, model_name, model_version, feature_name
),

baseline_bins as (
    select
        baseline_days.window_date,
        baseline_days.model_name,
        baseline_days.model_version,
        baseline_days.feature_name,
        distributions.bin_label,
        sum(distributions.n_current) as n_baseline_bin
    from baseline_days
    inner join distributions
        on baseline_days.baseline_date = distributions.window_date
        and baseline_days.model_name = distributions.model_name
        and baseline_days.model_version = distributions.model_version
        and baseline_days.feature_name = distributions.feature_name
    group by baseline_days.window_date, baseline_days.model_name, baseline_days.model_version,
             baseline_days.feature_name, distributions.bin_label
),

shares as (
    -- every bin either side holds, an empty side's share 0
    select
        coalesce(current_bins.window_date, baseline_bins.window_date) as window_date,
        coalesce(current_bins.model_name, baseline_bins.model_name) as model_name,
        coalesce(current_bins.model_version, baseline_bins.model_version) as model_version,
        coalesce(current_bins.feature_name, baseline_bins.feature_name) as feature_name,
        cast(coalesce(current_bins.n_current, 0) as {{ vigie.type_double() }})
            / nullif(days.n_current, 0) as current_share,
        cast(coalesce(baseline_bins.n_baseline_bin, 0) as {{ vigie.type_double() }})
            / nullif(baseline_totals.n_baseline, 0) as baseline_share
    from distributions as current_bins
    full outer join baseline_bins
        on current_bins.window_date = baseline_bins.window_date
        and current_bins.model_name = baseline_bins.model_name
        and current_bins.model_version = baseline_bins.model_version
        and current_bins.feature_name = baseline_bins.feature_name
        and current_bins.bin_label = baseline_bins.bin_label
    inner join days
        on coalesce(current_bins.window_date, baseline_bins.window_date) = days.window_date
        and coalesce(current_bins.model_name, baseline_bins.model_name) = days.model_name
        and coalesce(current_bins.model_version, baseline_bins.model_version) = days.model_version
        and coalesce(current_bins.feature_name, baseline_bins.feature_name) = days.feature_name
    inner join baseline_totals
        on days.window_date = baseline_totals.window_date
        and days.model_name = baseline_totals.model_name
        and days.model_version = baseline_totals.model_version
        and days.feature_name = baseline_totals.feature_name
),

distances as (
    select
        window_date, model_name, model_version, feature_name,
        {{ vigie.binned_distance('sum(' ~ vigie.jensenshannon_term('baseline_share',
                                                                    'current_share') ~ ')') }}
            as jensenshannon
    from shares
    group by window_date, model_name, model_version, feature_name
),

final as (
    select
        days.window_date,
        days.model_name,
        days.model_version,
        days.feature_name,
        cast(days.n_current as {{ dbt.type_bigint() }}) as n_current,
        cast(coalesce(baseline_totals.n_baseline, 0) as {{ dbt.type_bigint() }}) as n_baseline,
        cast(coalesce(baseline_totals.n_baseline_days, 0) as {{ dbt.type_bigint() }})
            as n_baseline_days,
        cast(distances.jensenshannon as {{ vigie.type_double() }}) as weekday_jensenshannon,
        case when distances.jensenshannon is not null
                  and thresholds.jensenshannon_threshold is not null
                  and baseline_totals.n_baseline_days >= thresholds.min_baseline_weeks
             then distances.jensenshannon >= thresholds.jensenshannon_threshold
        end as is_drifted_from_weekday,
        cast(reference_drift.jensenshannon as {{ vigie.type_double() }})
            as reference_jensenshannon,
        reference_drift.is_drifted as is_drifted_from_reference
    from days
    cross join thresholds
    left join baseline_totals
        on days.window_date = baseline_totals.window_date
        and days.model_name = baseline_totals.model_name
        and days.model_version = baseline_totals.model_version
        and days.feature_name = baseline_totals.feature_name
    left join distances
        on days.window_date = distances.window_date
        and days.model_name = distances.model_name
        and days.model_version = distances.model_version
        and days.feature_name = distances.feature_name
    left join reference_drift
        on days.window_date = reference_drift.window_date
        and days.model_name = reference_drift.model_name
        and days.model_version = reference_drift.model_version
        and days.feature_name = reference_drift.feature_name
)

select * from final
