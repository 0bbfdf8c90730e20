-- Every threshold a monitoring rule reads is in seeds/thresholds.csv with a value: a missing
-- row would not fail a comparison, it would make it null, and the rule would never fire (a
-- Wasserstein test with no threshold never drifts). A row returned is a threshold to restore.
-- drift_fdr_level may be empty (raw p-values then), and the consecutive-window counts default
-- to 1; the promotion gate's thresholds block the gate itself when missing (macros/gate), and
-- fuzz_counterfactual_flip_rate_max may be empty (its gate check is then switched off). The
-- audit's (`vigie audit`) and the fuzz marts' thresholds are here too.
with required as (
    {%- set names = ['drift_alpha', 'drift_effect_size', 'drift_share_warning',
                     'drift_share_alert', 'psi_alert', 'wasserstein_threshold',
                     'jensenshannon_threshold', 'hellinger_threshold',
                     'auto_drift_max_reference_rows', 'four_fifths_ratio',
                     'equalized_odds_bound', 'min_group_size',
                     'performance_estimate_band_sigmas', 'bootstrap_resamples',
                     'bootstrap_interval_level', 'bootstrap_seed', 'kpi_drop_ratio',
                     'conformance_rate_target', 'multivariate_auc_low', 'multivariate_baseline_days',
                     'seasonal_baseline_weeks', 'seasonal_min_baseline_weeks',
                     'multivariate_auc_high', 'data_health_volume_baseline_weeks',
                     'data_health_volume_min_baseline_weeks', 'data_health_volume_change_ratio',
                     'data_health_max_staleness_hours', 'label_coverage_ratio_min',
                     'alert_suppression_hours', 'label_coverage_min_z',
                     'audit_null_rate_rise', 'audit_representation_ratio_min',
                     'audit_outcome_rate_shift', 'audit_band_sigmas',
                     'audit_rename_max_effect_size', 'fuzz_score_step_tolerance',
                     'fuzz_monotone_violation_rate_max'] %}
    {%- for name in names %}
    select '{{ name }}' as threshold_name
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

thresholds as (
    select * from {{ ref('thresholds') }}
)

select required.threshold_name
from required
left join thresholds
    on required.threshold_name = thresholds.threshold_name
    and thresholds.threshold_value is not null
where thresholds.threshold_name is null
