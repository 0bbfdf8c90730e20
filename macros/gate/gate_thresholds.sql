{#- One row: the gate's bounds from the thresholds seed (`relation`), one column each. -#}
{% macro gate_thresholds(relation) -%}
    select
        {%- for name in ['promotion_delta', 'four_fifths_ratio', 'equalized_odds_bound',
                         'sensitive_importance_share_max', 'sensitive_importance_jump_max',
                         'validation_auc_floor', 'min_group_size'] %}
        max(case when threshold_name = '{{ name }}' then threshold_value end) as {{ name }}
        {{- "," if not loop.last }}
        {%- endfor %}
    from {{ relation }}
{%- endmacro %}
