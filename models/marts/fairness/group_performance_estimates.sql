-- Fairness without labels per day × model × version × sensitive attribute × group: the
-- confidence-based estimates (vigie.expected_confusion_from) of each group's true and false
-- positive rates in group_parity's convention (favourable outcome and favourable decision as
-- the positive class, as fairlearn with y_true = repaid), from the calibrated probabilities of
-- all the group's predictions, with their sampling bands; beside them group_parity's realized
-- rates and its suppression (a group too small for the summary ratios is too small here too).
-- Incremental by day, as performance_estimates.
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

prediction_groups as (
    select prediction_id, window_date, model_name, model_version, attribute, group_name
    from {{ ref('int_prediction_groups') }}
    {{ vigie.in_windows_to_rebuild() }}
),

calibrated as (
    select prediction_id, calibrated_probability, is_predicted_positive
    from {{ ref('int_predictions_calibrated') }}
    {{ vigie.in_windows_to_rebuild() }}
),

group_parity as (
    select * from {{ ref('group_parity') }}
    {{ vigie.in_windows_to_rebuild() }}
),

thresholds as (
    select max(case when threshold_name = 'performance_estimate_band_sigmas'
                    then threshold_value end) as band_sigmas
    from {{ ref('thresholds') }}
),

grouped as (
    select
        prediction_groups.window_date,
        prediction_groups.model_name,
        prediction_groups.model_version,
        prediction_groups.attribute,
        prediction_groups.group_name,
        calibrated.calibrated_probability,
        calibrated.is_predicted_positive
    from prediction_groups
    inner join calibrated on prediction_groups.prediction_id = calibrated.prediction_id
),

expected as (
    {{ vigie.expected_confusion_from('grouped', ['window_date', 'model_name', 'model_version',
                                                 'attribute', 'group_name']) }}
),

{%- set keys = ['window_date', 'model_name', 'model_version', 'attribute', 'group_name'] %}
{%- set rates = [('true_positive_rate', 'favorable_true_positive_rate'),
                 ('false_positive_rate', 'favorable_false_positive_rate')] %}

final as (
    select
        group_parity.window_date,
        group_parity.model_name,
        group_parity.model_version,
        group_parity.attribute,
        group_parity.group_name,
        group_parity.n_predictions,
        cast(coalesce(expected.n_rows, 0) as {{ dbt.type_bigint() }}) as n_calibrated,
        group_parity.n_labeled,
        cast(expected.n_rows - expected.expected_positive as {{ vigie.type_double() }})
            as expected_n_favorable_outcomes,
        {%- for rate, expected_rate in rates %}
        cast(expected.{{ expected_rate }} as {{ vigie.type_double() }}) as estimated_{{ rate }},
        cast({{ vigie.estimate_band('expected.' ~ expected_rate,
                                    'expected.' ~ expected_rate ~ '_standard_error',
                                    'thresholds.band_sigmas', 'low') }}
             as {{ vigie.type_double() }}) as estimated_{{ rate }}_low,
        cast({{ vigie.estimate_band('expected.' ~ expected_rate,
                                    'expected.' ~ expected_rate ~ '_standard_error',
                                    'thresholds.band_sigmas', 'high') }}
             as {{ vigie.type_double() }}) as estimated_{{ rate }}_high,
        cast(group_parity.{{ rate }} as {{ vigie.type_double() }}) as realized_{{ rate }},
        {%- endfor %}
        group_parity.is_suppressed,
        day_states.window_state
    from group_parity
    inner join day_states
        on group_parity.window_date = day_states.window_date
        and group_parity.model_name = day_states.model_name
        and group_parity.model_version = day_states.model_version
    cross join thresholds
    left join expected
        on {% for key in keys %}group_parity.{{ key }} = expected.{{ key }}{{ ' and ' if not loop.last }}{% endfor %}
)

select * from final
