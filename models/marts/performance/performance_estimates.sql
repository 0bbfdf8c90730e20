-- Performance without labels per day × model × version: confidence-based estimates (CBPE,
-- vigie.expected_confusion_from and vigie.expected_roc_auc_from) from the calibrated
-- probabilities of all the day's predictions, each with its sampling band (±
-- performance_estimate_band_sigmas standard errors); beside them the realized values of
-- marts.model_performance as labels arrive, and the estimation error: the estimate over the
-- labelled predictions only minus the realized value over the same predictions, so it measures
-- the estimator, not the labels' selection (labels arrive mostly for the approved). Incremental
-- by day (vigie.window_state_ctes): a day is rebuilt when its predictions, their labels, the
-- configuration or the version's calibration changed.
{{
    config(
        materialized='incremental',
        on_schema_change='append_new_columns',
        **vigie.day_incremental_config('window_date')
    )
}}

with calibrations as (
    select distinct model_name, model_version, n_validation_rows as calibration_rows
    from {{ ref('int_score_calibration_segments') }}
),

{{ vigie.window_state_ctes(versions='calibrations', version_state='calibration_rows') }}

calibrated as (
    select * from {{ ref('int_predictions_calibrated') }}
    {{ vigie.in_windows_to_rebuild() }}
),

labelled as (
    select * from calibrated
    where is_positive is not null
),

realized as (
    select * from {{ ref('model_performance') }}
    {{ vigie.in_windows_to_rebuild() }}
),

thresholds as (
    select max(case when threshold_name = 'performance_estimate_band_sigmas'
                    then threshold_value end) as band_sigmas
    from {{ ref('thresholds') }}
),

days as (
    select window_date, model_name, model_version, window_state from day_states
    {{ vigie.in_windows_to_rebuild() }}
),

counts as (
    select
        window_date,
        model_name,
        model_version,
        count(*) as n_predictions,
        count(calibrated_probability) as n_calibrated
    from calibrated
    group by window_date, model_name, model_version
),

expected as (
    {{ vigie.expected_confusion_from('calibrated', ['window_date', 'model_name', 'model_version']) }}
),

expected_auc as (
    {{ vigie.expected_roc_auc_from('calibrated', ['window_date', 'model_name', 'model_version']) }}
),

expected_on_labelled as (
    {{ vigie.expected_confusion_from('labelled', ['window_date', 'model_name', 'model_version']) }}
),

expected_auc_on_labelled as (
    {{ vigie.expected_roc_auc_from('labelled', ['window_date', 'model_name', 'model_version']) }}
),

{%- set metrics = ['roc_auc', 'precision', 'recall', 'f1', 'accuracy'] %}

final as (
    select
        days.window_date,
        days.model_name,
        days.model_version,
        cast(coalesce(counts.n_predictions, 0) as {{ dbt.type_bigint() }}) as n_predictions,
        cast(coalesce(counts.n_calibrated, 0) as {{ dbt.type_bigint() }}) as n_calibrated,
        cast(coalesce(realized.n_labeled, 0) as {{ dbt.type_bigint() }}) as n_labeled,
        cast(expected.expected_positive as {{ vigie.type_double() }}) as expected_n_positive,
        {%- for metric in metrics %}
        {%- set source = 'expected_auc' if metric == 'roc_auc' else 'expected' %}
        {%- set on_labelled = 'expected_auc_on_labelled' if metric == 'roc_auc' else 'expected_on_labelled' %}
        cast({{ source }}.{{ metric }} as {{ vigie.type_double() }}) as estimated_{{ metric }},
        cast({{ vigie.estimate_band(source ~ '.' ~ metric, source ~ '.' ~ metric ~ '_standard_error',
                                    'thresholds.band_sigmas', 'low') }}
             as {{ vigie.type_double() }}) as estimated_{{ metric }}_low,
        cast({{ vigie.estimate_band(source ~ '.' ~ metric, source ~ '.' ~ metric ~ '_standard_error',
                                    'thresholds.band_sigmas', 'high') }}
             as {{ vigie.type_double() }}) as estimated_{{ metric }}_high,
        cast(realized.{{ metric }} as {{ vigie.type_double() }}) as realized_{{ metric }},
        cast({{ on_labelled }}.{{ metric }} - realized.{{ metric }} as {{ vigie.type_double() }})
            as {{ metric }}_estimation_error,
        {%- endfor %}
        days.window_state
    from days
    cross join thresholds
    left join counts
        on days.window_date = counts.window_date
        and days.model_name = counts.model_name
        and days.model_version = counts.model_version
    {%- for relation in ['expected', 'expected_auc', 'expected_on_labelled',
                         'expected_auc_on_labelled', 'realized'] %}
    left join {{ relation }}
        on days.window_date = {{ relation }}.window_date
        and days.model_name = {{ relation }}.model_name
        and days.model_version = {{ relation }}.model_version
    {%- endfor %}
)

select * from final
