-- Every threshold `vigie audit`'s marts read is in seeds/thresholds.csv with a value: a missing
-- one would make its comparison null and the check would never fire. A row returned is a
-- threshold to restore.
with required as (
    {%- set names = ['audit_null_rate_rise', 'audit_representation_ratio_min',
                     'audit_outcome_rate_shift', 'audit_band_sigmas',
                     'audit_rename_max_effect_size', 'drift_alpha', 'drift_effect_size',
                     'min_group_size'] %}
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
