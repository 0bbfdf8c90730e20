-- Multivariate drift per day × model × version after the version's baseline (its first
-- multivariate_baseline_days days of production, int_multivariate_drift_required): the ROC AUC
-- of the domain classifier's out-of-fold scores (the Python step's raw facts, for the day's
-- current key), the day's rows being the positive class, against the band
-- multivariate_auc_low / multivariate_auc_high (seeds/thresholds, NannyML's 0.45 and 0.65):
-- 0.5 is a classifier that cannot tell the day from the baseline, so the joint distribution
-- has not moved; past the band it has, even when no single feature's has. The three features
-- it leans on most (their share of its gain) say where to look. A day the step has not
-- trained on (or could not: fewer than 5 rows a side) has no AUC and no verdict.
with required as (
    select * from {{ ref('int_multivariate_drift_required') }}
),

scores as (
    select
        scores.window_date,
        scores.model_name,
        scores.model_version,
        scores.score,
        case when scores.side = 'current' then 1 else 0 end as is_positive
    from {{ ref('stg_raw__domain_classifier_scores') }} as scores
    inner join required
        on scores.window_date = required.window_date
        and scores.model_name = required.model_name
        and scores.model_version = required.model_version
        and scores.baseline_key = required.baseline_key
        and scores.n_predictions = required.n_predictions
),

importance as (
    select
        importance.window_date,
        importance.model_name,
        importance.model_version,
        importance.feature_name,
        importance.gain_share,
        row_number() over (
            partition by importance.window_date, importance.model_name, importance.model_version
            order by importance.gain_share desc, importance.feature_name
        ) as feature_rank
    from {{ ref('stg_raw__domain_classifier_importance') }} as importance
    inner join required
        on importance.window_date = required.window_date
        and importance.model_name = required.model_name
        and importance.model_version = required.model_version
        and importance.baseline_key = required.baseline_key
        and importance.n_predictions = required.n_predictions
),

thresholds as (
    select
        max(case when threshold_name = 'multivariate_auc_low' then threshold_value end)
            as auc_band_low,
        max(case when threshold_name = 'multivariate_auc_high' then threshold_value end)
            as auc_band_high
    from {{ ref('thresholds') }}
),

auc as (
    {{ vigie.roc_auc_from('scores', ['window_date', 'model_name', 'model_version']) }}
),

top_features as (
    select
        window_date,
        model_name,
        model_version,
        {{ vigie.ordered_listagg('feature_name', "', '", 'order by feature_rank') }}
            as top_features,
        max(case when feature_rank = 1 then gain_share end) as top_feature_gain_share
    from importance
    where feature_rank <= 3
    group by window_date, model_name, model_version
),

final as (
    select
        required.window_date,
        required.model_name,
        required.model_version,
        required.baseline_start_date,
        required.baseline_end_date,
        cast(coalesce(auc.n_negative, 0) as {{ dbt.type_bigint() }}) as n_baseline_rows,
        cast(coalesce(auc.n_positive, 0) as {{ dbt.type_bigint() }}) as n_current_rows,
        cast(auc.roc_auc as {{ vigie.type_double() }}) as domain_classifier_auc,
        cast(thresholds.auc_band_low as {{ vigie.type_double() }}) as auc_band_low,
        cast(thresholds.auc_band_high as {{ vigie.type_double() }}) as auc_band_high,
        case
            when auc.roc_auc is null or thresholds.auc_band_low is null
                or thresholds.auc_band_high is null then null
            else auc.roc_auc < thresholds.auc_band_low or auc.roc_auc > thresholds.auc_band_high
        end as is_drifted,
        cast(top_features.top_features as {{ dbt.type_string() }}) as top_features,
        cast(top_features.top_feature_gain_share as {{ vigie.type_double() }})
            as top_feature_gain_share
    from required
    cross join thresholds
    left join auc
        on required.window_date = auc.window_date
        and required.model_name = auc.model_name
        and required.model_version = auc.model_version
    left join top_features
        on required.window_date = top_features.window_date
        and required.model_name = top_features.model_name
        and required.model_version = top_features.model_version
)

select * from final
