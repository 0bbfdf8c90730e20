{#- Parity by group, shared by marts.group_parity, group_parity_7d and candidate_parity.

    `relation` (a relation or CTE name) holds one row per scored row × sensitive attribute with
    the columns in `partition_by`, attribute, group_name, is_favorable_decision (boolean) and
    is_favorable_outcome (boolean, null when the row has no label). `thresholds` names a relation
    with threshold_name / threshold_value (the seed) holding min_group_size.

    As fairlearn with y_true = favourable outcome and y_pred = favourable decision:
    selection_rate = favourable decisions / rows; true_positive_rate = P(favourable decision |
    favourable outcome); false_positive_rate = P(favourable decision | unfavourable outcome),
    both over labelled rows and null when their denominator is 0.

    `weight`: a column of `relation` counting the rows each of its rows stands for (a relation
    of cells, one row per partition × attribute × group × decision × outcome with its count,
    so that a 7-day window sums seven days of cells instead of joining seven days of rows);
    none counts each row once. -#}
{% macro group_parity_from(relation, partition_by, thresholds='thresholds', weight=none) %}
    {{ return(adapter.dispatch('group_parity_from', 'vigie')(relation, partition_by, thresholds,
                                                              weight)) }}
{% endmacro %}

{% macro default__group_parity_from(relation, partition_by, thresholds, weight=none) %}
    {%- if partition_by is string or partition_by is not sequence or partition_by | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "group_parity_from: argument `partition_by` must be a non-empty list of columns, got "
            ~ partition_by) }}
    {%- endif -%}
    {%- set double = vigie.type_double() -%}
    {%- set bigint = dbt.type_bigint() -%}
    {%- set one = weight if weight else '1' -%}
    {%- set rows = 'sum(' ~ weight ~ ')' if weight else 'count(*)' -%}
    {%- set decided = "case when is_favorable_decision then " ~ one ~ " else 0 end" -%}
    {%- set labelled = "case when is_favorable_outcome is not null then " ~ one ~ " else 0 end" -%}
    {%- set good = "case when is_favorable_outcome then " ~ one ~ " else 0 end" -%}
    {%- set bad = "case when not is_favorable_outcome then " ~ one ~ " else 0 end" -%}
    {%- set true_favorable = "case when is_favorable_outcome and is_favorable_decision then " ~ one ~ " else 0 end" -%}
    {%- set false_favorable = "case when not is_favorable_outcome and is_favorable_decision then " ~ one ~ " else 0 end" -%}
    select
        {%- for column in partition_by %}
        {{ column }},
        {%- endfor %}
        attribute,
        group_name,
        cast({{ rows }} as {{ bigint }}) as n_predictions,
        cast(sum({{ decided }}) as {{ bigint }}) as n_favorable_decisions,
        cast(sum({{ decided }}) as {{ double }}) / {{ rows }} as selection_rate,
        cast(sum({{ labelled }}) as {{ bigint }}) as n_labeled,
        cast(sum({{ good }}) as {{ bigint }}) as n_favorable_outcomes,
        cast(sum({{ bad }}) as {{ bigint }}) as n_unfavorable_outcomes,
        cast(sum({{ true_favorable }}) as {{ double }}) / nullif(sum({{ good }}), 0)
            as true_positive_rate,
        cast(sum({{ false_favorable }}) as {{ double }}) / nullif(sum({{ bad }}), 0)
            as false_positive_rate,
        {{ rows }} < (
            select min(threshold_value) from {{ thresholds }}
            where threshold_name = 'min_group_size'
        ) as is_suppressed
    from {{ relation }}
    group by
        {%- for column in partition_by %}
        {{ column }},
        {%- endfor %}
        attribute,
        group_name
{% endmacro %}


{#- Per attribute, over the non-suppressed groups of a group-parity relation (fairlearn's
    `between_groups`): demographic parity difference (max − min selection rate) and ratio
    (min / max, null when every rate is 0), equalized odds difference (the larger of the TPR
    and FPR differences, fairlearn's agg='worst_case'; groups whose rate is undefined are left
    out, and the difference is null when either rate is undefined in every group), and whether
    they meet the four-fifths ratio and the equalized-odds bound from `thresholds`.
    n_compared_groups, n_groups_with_selection_rate and n_groups_with_odds (non-suppressed
    groups, those with a finite selection rate, those with finite TPR and FPR) tell the
    promotion gate whether the attribute can be judged at all (macros/gate); n_predictions and
    n_labeled are the total and labelled rows of the compared groups. -#}
{% macro fairness_summary_from(relation, partition_by, thresholds='thresholds') %}
    {{ return(adapter.dispatch('fairness_summary_from', 'vigie')(relation, partition_by, thresholds)) }}
{% endmacro %}

{% macro default__fairness_summary_from(relation, partition_by, thresholds) %}
    {%- if partition_by is string or partition_by is not sequence or partition_by | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "fairness_summary_from: argument `partition_by` must be a non-empty list of columns, got "
            ~ partition_by) }}
    {%- endif -%}
    {%- set kept = "case when not is_suppressed then {} end" -%}
    {%- set tpr_difference = "max(" ~ kept.format('true_positive_rate') ~ ") - min(" ~ kept.format('true_positive_rate') ~ ")" -%}
    {%- set fpr_difference = "max(" ~ kept.format('false_positive_rate') ~ ") - min(" ~ kept.format('false_positive_rate') ~ ")" -%}
    {%- set max_rate = "max(" ~ kept.format('selection_rate') ~ ")" -%}
    {%- set min_rate = "min(" ~ kept.format('selection_rate') ~ ")" -%}
    select
        {%- for column in partition_by %}
        {{ column }},
        {%- endfor %}
        attribute,
        cast(count(*) as {{ dbt.type_bigint() }}) as n_groups,
        cast(sum(case when is_suppressed then 1 else 0 end) as {{ dbt.type_bigint() }})
            as n_suppressed_groups,
        {#- What the gate needs to judge the attribute (fail closed): how many groups are
            compared, and how many of them have finite rates. -#}
        cast(sum(case when not is_suppressed then 1 else 0 end) as {{ dbt.type_bigint() }})
            as n_compared_groups,
        {#- the sample behind the summary and its intervals: rows of the compared groups -#}
        cast(sum(case when not is_suppressed then n_predictions else 0 end) as {{ dbt.type_bigint() }})
            as n_predictions,
        cast(sum(case when not is_suppressed then n_labeled else 0 end) as {{ dbt.type_bigint() }})
            as n_labeled,
        cast(sum(case when not is_suppressed and {{ vigie.is_finite('selection_rate') }}
                 then 1 else 0 end) as {{ dbt.type_bigint() }})
            as n_groups_with_selection_rate,
        cast(sum(case when not is_suppressed and {{ vigie.is_finite('true_positive_rate') }}
                      and {{ vigie.is_finite('false_positive_rate') }}
                 then 1 else 0 end) as {{ dbt.type_bigint() }})
            as n_groups_with_odds,
        {{ min_rate }} as min_selection_rate,
        {{ max_rate }} as max_selection_rate,
        {{ max_rate }} - {{ min_rate }} as demographic_parity_difference,
        {{ min_rate }} / nullif({{ max_rate }}, 0) as demographic_parity_ratio,
        {{ tpr_difference }} as true_positive_rate_difference,
        {{ fpr_difference }} as false_positive_rate_difference,
        case
            when {{ tpr_difference }} >= {{ fpr_difference }} then {{ tpr_difference }}
            else {{ fpr_difference }}
        end as equalized_odds_difference,
        {{ min_rate }} / nullif({{ max_rate }}, 0) >= (
            select min(threshold_value) from {{ thresholds }}
            where threshold_name = 'four_fifths_ratio'
        ) as passes_four_fifths_rule,
        case
            when {{ tpr_difference }} >= {{ fpr_difference }} then {{ tpr_difference }}
            else {{ fpr_difference }}
        end <= (
            select min(threshold_value) from {{ thresholds }}
            where threshold_name = 'equalized_odds_bound'
        ) as passes_equalized_odds
    from {{ relation }}
    group by
        {%- for column in partition_by %}
        {{ column }},
        {%- endfor %}
        attribute
{% endmacro %}
