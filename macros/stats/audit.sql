{#- Helpers of `vigie audit`'s marts (models/marts/audit): a column's JSON type over a dataset,
    a ratio that is null rather than a division by zero, and the standard error of the
    difference of two independent proportions. -#}

{#- The type of a column over a dataset, from the counts of its non-null JSON values by type:
    'number', 'string' or 'boolean' when every non-null value has that type, 'empty' when it has
    no non-null value, 'mixed' otherwise (objects and arrays count as 'mixed' too). -#}
{% macro audit_column_type(n_number, n_string, n_boolean, n_other) -%}
    (case
        when {{ n_number }} + {{ n_string }} + {{ n_boolean }} + {{ n_other }} = 0 then 'empty'
        when {{ n_number }} > 0 and {{ n_string }} + {{ n_boolean }} + {{ n_other }} = 0
            then 'number'
        when {{ n_string }} > 0 and {{ n_number }} + {{ n_boolean }} + {{ n_other }} = 0
            then 'string'
        when {{ n_boolean }} > 0 and {{ n_number }} + {{ n_string }} + {{ n_other }} = 0
            then 'boolean'
        else 'mixed'
    end)
{%- endmacro %}

{#- numerator / denominator as a double, null when the denominator is null or not positive. -#}
{% macro safe_ratio(numerator, denominator) -%}
    (case when {{ denominator }} > 0
        then cast({{ numerator }} as {{ vigie.type_double() }}) / {{ denominator }} end)
{%- endmacro %}

{#- Standard error of p2 - p1 for proportions p1 of n1 and p2 of n2 rows drawn apart:
    sqrt(p1 (1 - p1) / n1 + p2 (1 - p2) / n2); null when either n is not positive. -#}
{% macro proportion_difference_standard_error(p1, n1, p2, n2) -%}
    (case when {{ n1 }} > 0 and {{ n2 }} > 0
        then sqrt({{ p1 }} * (1 - {{ p1 }}) / {{ n1 }} + {{ p2 }} * (1 - {{ p2 }}) / {{ n2 }})
    end)
{%- endmacro %}

{#- One column per audit threshold of seeds/thresholds.csv (a select list over the seed). -#}
{% macro audit_threshold_columns() -%}
    {%- set names = ['audit_null_rate_rise', 'audit_representation_ratio_min',
                     'audit_outcome_rate_shift', 'audit_band_sigmas',
                     'audit_rename_max_effect_size', 'drift_alpha', 'drift_effect_size',
                     'min_group_size'] -%}
    {%- for name in names %}
        max(case when threshold_name = '{{ name }}' then threshold_value end) as {{ name }}
        {%- if not loop.last %},{% endif %}
    {%- endfor %}
{%- endmacro %}
