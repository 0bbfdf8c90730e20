{#- The gate's fairness pair (four_fifths, equalized_odds) for one evaluation role, as rows
    evaluation_id × check_name with observed, ci_low, ci_high, bound, is_assessable, meets_bound,
    detail and groups_too_small. The calling model names its relations `evaluations` (one row
    per evaluation), `fairness` (candidate_fairness_summary), `parity` (candidate_parity) and
    `gate_thresholds` (macros/gate/gate_thresholds).

    Each attribute is judged on its point estimate against the bound; the check's observed value
    and interval are those of the attribute with the worst point estimate. The interval only
    qualifies the verdict: 'clear' when it lies wholly on the verdict's side of the bound,
    'marginal' when it straddles it. A point estimate or interval that cannot be computed makes
    the check not assessable (it blocks); groups too small to judge are named. -#}
{% macro gate_fairness_checks(role) %}
    {%- if role not in ['candidate', 'production'] -%}
        {{ exceptions.raise_compiler_error(
            "gate_fairness_checks: argument `role` must be 'candidate' or 'production', got "
            ~ role) }}
    {%- endif -%}
    {%- set n = vigie.gate_number -%}
    {%- set finite = vigie.is_finite -%}
    {%- set text = dbt.type_string() -%}
    with role_fairness as (
        select * from fairness where evaluation_role = '{{ role }}'
    ),

    role_parity as (
        select * from parity where evaluation_role = '{{ role }}'
    ),

    -- the extremes of the compared groups' selection rates, for the four-fifths sentence
    selection_extremes as (
        select
            evaluation_id,
            attribute,
            group_name,
            selection_rate,
            row_number() over (partition by evaluation_id, attribute
                               order by selection_rate asc, group_name) as rank_low,
            row_number() over (partition by evaluation_id, attribute
                               order by selection_rate desc, group_name) as rank_high
        from role_parity
        where not is_suppressed and {{ finite('selection_rate') }}
    ),

    -- groups too small to judge (suppressed): named in the detail whatever the verdict
    suppressed_groups as (
        select
            evaluation_id,
            attribute,
            {{ vigie.ordered_listagg("group_name || ' (' || cast(n_predictions as " ~ text ~ ") || ' rows)'",
                           "', '", "order by group_name") }} as groups
        from role_parity
        where is_suppressed
        group by evaluation_id, attribute
    ),

    rate_problems as (
        select
            evaluation_id,
            attribute,
            {{ vigie.ordered_listagg("'group ' || group_name || ' has selection rate ' || "
                           ~ n('selection_rate'), "'; '", "order by group_name") }} as problems
        from role_parity
        where not is_suppressed and not {{ finite('selection_rate') }}
        group by evaluation_id, attribute
    ),

    odds_problems as (
        select
            evaluation_id,
            attribute,
            {{ vigie.ordered_listagg(
                "'group ' || group_name || case "
                ~ "when coalesce(n_favorable_outcomes, 0) = 0 and coalesce(n_unfavorable_outcomes, 0) = 0 "
                ~ "then ' has no labelled outcomes' "
                ~ "when coalesce(n_unfavorable_outcomes, 0) = 0 then ' has no labelled unfavourable outcomes' "
                ~ "when coalesce(n_favorable_outcomes, 0) = 0 then ' has no labelled favourable outcomes' "
                ~ "else ' has true positive rate ' || " ~ n('true_positive_rate')
                ~ " || ' and false positive rate ' || " ~ n('false_positive_rate') ~ " end",
                "'; '", "order by group_name") }} as problems
        from role_parity
        where not is_suppressed
            and not ({{ finite('true_positive_rate') }} and {{ finite('false_positive_rate') }})
        group by evaluation_id, attribute
    ),

    attributes as (
        select
            role_fairness.evaluation_id,
            role_fairness.attribute,
            role_fairness.demographic_parity_ratio as ratio,
            role_fairness.demographic_parity_ratio_ci_low as ratio_low,
            role_fairness.demographic_parity_ratio_ci_high as ratio_high,
            role_fairness.equalized_odds_difference as odds,
            role_fairness.equalized_odds_difference_ci_low as odds_low,
            role_fairness.equalized_odds_difference_ci_high as odds_high,
            role_fairness.true_positive_rate_difference,
            role_fairness.false_positive_rate_difference,
            role_fairness.n_compared_groups >= 2
                and role_fairness.n_groups_with_selection_rate = role_fairness.n_compared_groups
                and {{ finite('role_fairness.demographic_parity_ratio') }}
                and {{ finite('gate_thresholds.four_fifths_ratio') }} as is_ratio_estimable,
            role_fairness.n_compared_groups >= 2
                and role_fairness.n_groups_with_odds = role_fairness.n_compared_groups
                and {{ finite('role_fairness.equalized_odds_difference') }}
                and {{ finite('gate_thresholds.equalized_odds_bound') }} as is_odds_estimable,
            {{ finite('role_fairness.demographic_parity_ratio_ci_low') }}
                and {{ finite('role_fairness.demographic_parity_ratio_ci_high') }}
                as has_ratio_interval,
            {{ finite('role_fairness.equalized_odds_difference_ci_low') }}
                and {{ finite('role_fairness.equalized_odds_difference_ci_high') }}
                as has_odds_interval,
            case
                when role_fairness.n_compared_groups < 2
                    then role_fairness.attribute
                        || ' has fewer than two groups of at least min_group_size '
                        || {{ n('gate_thresholds.min_group_size', 0) }}
                        || coalesce(' (suppressed: ' || suppressed_groups.groups || ')', '')
            end as too_few_groups,
            role_fairness.attribute || ': ' || suppressed_groups.groups as groups_too_small,
            rate_problems.problems as rate_problems,
            odds_problems.problems as odds_problems,
            low.group_name as low_group,
            low.selection_rate as low_rate,
            high.group_name as high_group,
            high.selection_rate as high_rate,
            gate_thresholds.four_fifths_ratio as ratio_bound,
            gate_thresholds.equalized_odds_bound as odds_bound
        from role_fairness
        cross join gate_thresholds
        left join suppressed_groups
            on role_fairness.evaluation_id = suppressed_groups.evaluation_id
            and role_fairness.attribute = suppressed_groups.attribute
        left join rate_problems
            on role_fairness.evaluation_id = rate_problems.evaluation_id
            and role_fairness.attribute = rate_problems.attribute
        left join odds_problems
            on role_fairness.evaluation_id = odds_problems.evaluation_id
            and role_fairness.attribute = odds_problems.attribute
        left join selection_extremes as low
            on role_fairness.evaluation_id = low.evaluation_id
            and role_fairness.attribute = low.attribute
            and low.rank_low = 1
        left join selection_extremes as high
            on role_fairness.evaluation_id = high.evaluation_id
            and role_fairness.attribute = high.attribute
            and high.rank_high = 1
    ),

    verdicts as (
        {{ vigie.gate_fairness_verdicts('attributes') }}
    ),

    per_check as (
        select
            evaluation_id,
            check_name,
            count(*) as n_attributes,
            sum(case when is_assessable then 0 else 1 end) as n_unassessable,
            sum(case when meets_bound then 0 else 1 end) as n_failed,
            {{ vigie.ordered_listagg('problem', "'; '", 'order by attribute') }} as problems,
            {{ vigie.ordered_listagg('statement', "'; '", 'order by attribute') }} as statements,
            {{ vigie.ordered_listagg('groups_too_small', "'; '", 'order by attribute') }}
                as groups_too_small
        from verdicts
        group by evaluation_id, check_name
    ),

    -- the attribute that decides the check: the worst point estimate
    worst as (
        select
            verdicts.*,
            row_number() over (partition by evaluation_id, check_name
                               order by case when is_assessable then 0 else 1 end,
                                        severity desc, attribute) as worst_rank
        from verdicts
    ),

    check_names as (
        select 'four_fifths' as check_name, 'four-fifths rule' as label
        union all
        select 'equalized_odds' as check_name, 'equalized odds' as label
    )

    select
        evaluations.evaluation_id,
        check_names.check_name,
        worst.observed,
        worst.ci_low,
        worst.ci_high,
        case when check_names.check_name = 'four_fifths' then gate_thresholds.four_fifths_ratio
             else gate_thresholds.equalized_odds_bound end as bound,
        coalesce(per_check.n_attributes > 0 and per_check.n_unassessable = 0, false)
            as is_assessable,
        coalesce(per_check.n_failed = 0, false) as meets_bound,
        coalesce(per_check.problems,
                 case when per_check.n_attributes is null
                      then check_names.label || ' not assessable: no parity rows for '
                          || '{{ role }}' end,
                 check_names.label || ' holds for every attribute (' || per_check.statements
                     || ')')
            || coalesce('; too small to judge: ' || per_check.groups_too_small, '') as detail,
        per_check.groups_too_small
    from evaluations
    cross join check_names
    cross join gate_thresholds
    left join per_check
        on evaluations.evaluation_id = per_check.evaluation_id
        and check_names.check_name = per_check.check_name
    left join worst
        on evaluations.evaluation_id = worst.evaluation_id
        and check_names.check_name = worst.check_name
        and worst.worst_rank = 1
{% endmacro %}


{#- One row per evaluation × attribute × fairness check of `attributes` (gate_fairness_checks):
    the verdict from the point estimate, the interval's standing ('clear' when it lies wholly on
    the verdict's side of the bound, 'marginal' when it straddles it), the failure or the reason
    it cannot be assessed, and a sentence for the detail. -#}
{% macro gate_fairness_verdicts(attributes) %}
    {%- set n = vigie.gate_number -%}
    {%- set checks = [
        {'name': 'four_fifths', 'label': 'four-fifths rule', 'value': 'ratio', 'word': 'ratio',
         'estimable': 'is_ratio_estimable', 'interval': 'has_ratio_interval',
         'problems': 'rate_problems', 'passes': '>=', 'fails': '<', 'severity': '-ratio',
         'why': 'every compared group has selection rate 0, or the bound is '
                ~ "' || " ~ n('ratio_bound') ~ " || '",
         'because': "' (' || low_group || ' ' || " ~ n('low_rate', 2) ~ " || ' vs ' || high_group"
                    ~ " || ' ' || " ~ n('high_rate', 2) ~ " || ')'",
         'no_interval': 'a resample left a compared group without a selection rate'},
        {'name': 'equalized_odds', 'label': 'equalized odds', 'value': 'odds',
         'word': 'difference', 'estimable': 'is_odds_estimable', 'interval': 'has_odds_interval',
         'problems': 'odds_problems', 'passes': '<=', 'fails': '>', 'severity': 'odds',
         'why': "bound ' || " ~ n('odds_bound') ~ " || '",
         'because': "' (TPR difference ' || " ~ n('true_positive_rate_difference', 2)
                    ~ " || ', FPR difference ' || " ~ n('false_positive_rate_difference', 2)
                    ~ " || ')'",
         'no_interval': 'a resample left a compared group without labelled favourable or '
                        ~ 'unfavourable outcomes'}] -%}
    {%- for check in checks %}
    {%- set value = check.value -%}
    {%- set bound = value ~ '_bound' -%}
    {%- set low = value ~ '_low' -%}
    {%- set high = value ~ '_high' -%}
    {%- set passes = value ~ ' ' ~ check.passes ~ ' ' ~ bound -%}
    {%- set interval_text = "'interval ' || " ~ n(low, 2) ~ " || ' to ' || " ~ n(high, 2) -%}
    {#- clear: the whole interval on the side of the bound the point estimate is on -#}
    {%- if check.passes == '>=' -%}
        {%- set clear = "case when " ~ passes ~ " then " ~ low ~ " >= " ~ bound
                        ~ " else " ~ high ~ " < " ~ bound ~ " end" -%}
    {%- else -%}
        {%- set clear = "case when " ~ passes ~ " then " ~ high ~ " <= " ~ bound
                        ~ " else " ~ low ~ " > " ~ bound ~ " end" -%}
    {%- endif %}
    select
        evaluation_id,
        '{{ check.name }}' as check_name,
        attribute,
        case when {{ check.estimable }} then {{ value }} end as observed,
        case when {{ check.estimable }} and {{ check.interval }} then {{ low }} end as ci_low,
        case when {{ check.estimable }} and {{ check.interval }} then {{ high }} end as ci_high,
        {{ check.severity }} as severity,
        coalesce({{ check.estimable }} and {{ check.interval }}, false) as is_assessable,
        coalesce({{ check.estimable }} and {{ check.interval }} and {{ passes }}, false)
            as meets_bound,
        case
            when too_few_groups is not null
                then '{{ check.label }} not assessable: ' || too_few_groups
            when {{ check.problems }} is not null
                then '{{ check.label }} not assessable for ' || attribute || ': '
                    || {{ check.problems }}
            when not {{ check.estimable }}
                then '{{ check.label }} not assessable for ' || attribute || ': {{ check.word }} '
                    || {{ n(value) }} || ' ({{ check.why }})'
            when not {{ check.interval }}
                then '{{ check.label }} not assessable for ' || attribute || ': {{ check.word }} '
                    || {{ n(value, 2) }} || ' has no bootstrap interval ({{ check.no_interval }},'
                    || ' or bootstrap_resamples / bootstrap_seed are missing)'
            when not ({{ passes }})
                then '{{ check.label }} failed for ' || attribute || ': {{ check.word }} '
                    || {{ n(value, 2) }} || ' {{ check.fails }} ' || {{ n(bound, 2) }}
                    || {{ check.because }} || ', ' || {{ interval_text }}
                    || case when {{ clear }} then ', clear' else ', marginal (the interval straddles the bound)' end
        end as problem,
        attribute || ' {{ check.word }} ' || {{ n(value, 2) }} || ', ' || {{ interval_text }}
            || ' {{ check.passes }} ' || {{ n(bound, 2) }}
            || case when {{ clear }} then ', clear' else ', marginal' end as statement,
        groups_too_small
    from {{ attributes }}
    {{ "union all" if not loop.last }}
    {%- endfor %}
{% endmacro %}
