{#- The promotion gate's counterfactual check, one row per evaluation: the candidate's largest
    counterfactual flip rate over the model's sensitive attributes (model_fuzz_results: the
    same generated applicant with only that attribute changed, how often the decision flips)
    against fuzz_counterfactual_flip_rate_max. Optional: with that threshold empty (or absent)
    the check is switched off and passes, saying so. Switched on, a candidate without fuzz
    results for every sensitive attribute, or with a non-finite rate, is not assessable and
    blocks. Production is judged on the same bound when it has fuzz results (an artifact-less
    production version cannot be fuzzed: null, not judged). -#}
{%- set n = vigie.gate_number -%}
{%- set finite = vigie.is_finite -%}
{%- set text = dbt.type_string() -%}
{%- set double = vigie.type_double() -%}
with evaluations as (
    select * from {{ ref('int_gate_evaluations') }}
),

results as (
    select * from {{ ref('model_fuzz_results') }}
    where check_name = 'counterfactual_flip_rate'
),

sensitive as (
    select model_name, feature_name from {{ ref('feature_schema') }} where is_sensitive
),

thresholds as (
    select
        max(case when threshold_name = 'fuzz_counterfactual_flip_rate_max'
                 then threshold_value end) as flip_rate_max
    from {{ ref('thresholds') }}
),

versions as (
    select evaluation_id, model_name, candidate_version as model_version,
        'candidate' as evaluation_role
    from evaluations
    union all
    select evaluation_id, model_name, production_version as model_version,
        'production' as evaluation_role
    from evaluations
    where production_version is not null
),

-- per version: the sensitive attributes, those with a finite rate, the largest rate
judged as (
    select
        versions.evaluation_id,
        versions.evaluation_role,
        count(*) as n_attributes,
        sum(case when results.attribute is not null then 1 else 0 end) as n_fuzzed,
        sum(case when results.n_cases > 0 and {{ finite('results.observed') }} then 1 else 0 end)
            as n_assessable,
        max(results.observed) as worst_rate,
        {{ vigie.ordered_listagg("case when results.attribute is not null then "
                                 ~ "sensitive.feature_name || ' ' || "
                                 ~ n('results.observed') ~ " end", "', '",
                                 'order by sensitive.feature_name') }} as rates
    from versions
    inner join sensitive on versions.model_name = sensitive.model_name
    left join results
        on versions.model_name = results.model_name
        and versions.model_version = results.model_version
        and sensitive.feature_name = results.attribute
    group by versions.evaluation_id, versions.evaluation_role
),

inputs as (
    select
        evaluations.evaluation_id,
        evaluations.candidate_version,
        evaluations.production_version,
        thresholds.flip_rate_max,
        thresholds.flip_rate_max is null as is_switched_off,
        candidate.n_attributes,
        coalesce(candidate.n_assessable, 0) as n_assessable,
        candidate.worst_rate,
        candidate.rates,
        production.n_fuzzed as production_fuzzed,
        production.n_attributes as production_attributes,
        production.n_assessable as production_assessable,
        production.worst_rate as production_rate,
        production.rates as production_rates
    from evaluations
    cross join thresholds
    left join judged as candidate
        on evaluations.evaluation_id = candidate.evaluation_id
        and candidate.evaluation_role = 'candidate'
    left join judged as production
        on evaluations.evaluation_id = production.evaluation_id
        and production.evaluation_role = 'production'
),

final as (
    select
        evaluation_id,
        'fuzz_counterfactual' as check_name,
        worst_rate as observed,
        cast(null as {{ double }}) as ci_low,
        cast(null as {{ double }}) as ci_high,
        flip_rate_max as bound,
        is_switched_off
            or (coalesce(n_assessable = n_attributes, false) and {{ finite('worst_rate') }}
                and {{ finite('flip_rate_max') }}) as is_assessable,
        case
            when is_switched_off
                then 'counterfactual flip rate not checked: fuzz_counterfactual_flip_rate_max '
                    || 'is empty (switched off)'
                    || coalesce('; candidate ' || candidate_version || ' flips ' || rates, '')
            when n_attributes is null
                then 'counterfactual flip rate not assessable: the model has no sensitive '
                    || 'attribute in feature_schema'
            when n_assessable < n_attributes
                then 'counterfactual flip rate not assessable: candidate ' || candidate_version
                    || ' has fuzz results for ' || cast(n_assessable as {{ text }}) || ' of its '
                    || cast(n_attributes as {{ text }})
                    || ' sensitive attributes (run `vigie fuzz ' || candidate_version || '`)'
            when not {{ finite('flip_rate_max') }}
                then 'counterfactual flip rate not assessable: bound ' || {{ n('flip_rate_max') }}
            when worst_rate > flip_rate_max
                then 'counterfactual flip rate ' || {{ n('worst_rate') }} || ' > '
                    || {{ n('flip_rate_max') }} || ' (' || rates || ')'
            else 'counterfactual flip rate ' || {{ n('worst_rate') }} || ' <= '
                || {{ n('flip_rate_max') }} || ' (' || rates || ')'
        end as detail,
        is_switched_off or worst_rate <= flip_rate_max as meets_bound,
        cast(null as {{ text }}) as groups_too_small,
        production_rate as production_observed,
        cast(null as {{ double }}) as production_ci_low,
        cast(null as {{ double }}) as production_ci_high,
        case when not is_switched_off and production_fuzzed > 0
             then coalesce(production_assessable = production_attributes, false)
                 and {{ finite('production_rate') }} and {{ finite('flip_rate_max') }} end
            as production_is_assessable,
        case when not is_switched_off and production_fuzzed > 0
             then production_rate <= flip_rate_max end as production_meets_bound,
        case
            when is_switched_off or production_version is null then null
            when coalesce(production_fuzzed, 0) = 0
                then 'production ' || production_version || ' has no fuzz results: not judged'
            else 'production ' || production_version || ' counterfactual flip rate '
                || {{ n('production_rate') }} || coalesce(' (' || production_rates || ')', '')
        end as production_detail
    from inputs
)

select * from final
