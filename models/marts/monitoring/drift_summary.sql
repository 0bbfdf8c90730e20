-- Drift per day × model × version: how many schema features drifted (feature_drift), how many
-- have drifted drift_consecutive_windows days in a row (is_drift_alert), and the day's status
-- from the share of the latter, ok < drift_share_warning <= warning < drift_share_alert <= alert
-- (seeds/thresholds.csv). With drift_consecutive_windows = 1 the two shares are equal.
with feature_drift as (
    select * from {{ ref('feature_drift') }}
),

thresholds as (
    select
        max(case when threshold_name = 'drift_share_warning' then threshold_value end)
            as drift_share_warning,
        max(case when threshold_name = 'drift_share_alert' then threshold_value end)
            as drift_share_alert
    from {{ ref('thresholds') }}
),

drifted as (
    select
        window_date,
        model_name,
        model_version,
        feature_name
    from feature_drift
    where is_drifted
),

drifted_lists as (
    select
        window_date,
        model_name,
        model_version,
        {{ vigie.ordered_listagg('feature_name', "', '", 'order by feature_name') }} as drifted_features
    from drifted
    group by window_date, model_name, model_version
),

counted as (
    select
        window_date,
        model_name,
        model_version,
        count(*) as n_features,
        sum(case when is_drifted then 1 else 0 end) as n_drifted,
        sum(case when is_drift_alert then 1 else 0 end) as n_drift_alerts,
        max(psi) as max_psi
    from feature_drift
    group by window_date, model_name, model_version
),

shared as (
    select
        counted.*,
        cast(counted.n_drifted as {{ vigie.type_double() }}) / counted.n_features as drift_share,
        cast(counted.n_drift_alerts as {{ vigie.type_double() }}) / counted.n_features
            as alert_share
    from counted
),

final as (
    select
        cast(shared.window_date as date) as window_date,
        cast(shared.model_name as {{ dbt.type_string() }}) as model_name,
        cast(shared.model_version as {{ dbt.type_string() }}) as model_version,
        cast(shared.n_features as {{ dbt.type_bigint() }}) as n_features,
        cast(shared.n_drifted as {{ dbt.type_bigint() }}) as n_drifted,
        cast(shared.drift_share as {{ vigie.type_double() }}) as drift_share,
        cast(shared.n_drift_alerts as {{ dbt.type_bigint() }}) as n_drift_alerts,
        cast(shared.alert_share as {{ vigie.type_double() }}) as alert_share,
        cast(
            case
                when shared.alert_share >= thresholds.drift_share_alert then 'alert'
                when shared.alert_share >= thresholds.drift_share_warning then 'warning'
                else 'ok'
            end as {{ dbt.type_string() }}
        ) as status,
        cast(coalesce(drifted_lists.drifted_features, '') as {{ dbt.type_string() }})
            as drifted_features,
        cast(shared.max_psi as {{ vigie.type_double() }}) as max_psi
    from shared
    cross join thresholds
    left join drifted_lists
        on shared.window_date = drifted_lists.window_date
        and shared.model_name = drifted_lists.model_name
        and shared.model_version = drifted_lists.model_version
)

select * from final
