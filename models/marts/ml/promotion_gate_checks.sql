{#- The promotion gate, one row per evaluation × check, each check from its intermediate model
    (int_gate_*). Every comparison is guarded by vigie.is_finite: a check whose inputs are
    missing, NaN, infinite or too few to judge, or whose interval cannot be computed, is not
    assessable and does not pass (fail closed), and its detail says why, naming the attribute
    and the group. A check's verdict follows its point estimate; the interval says whether it
    is clear or marginal. The production_* columns apply the same check to production on the
    same held-out rows (null where the check does not apply to production, or there is none). -#}
{%- set text = dbt.type_string() -%}
{%- set double = vigie.type_double() -%}
{%- set columns = ['evaluation_id', 'check_name', 'observed', 'ci_low', 'ci_high', 'bound',
                   'is_assessable', 'detail', 'meets_bound', 'groups_too_small',
                   'production_observed', 'production_ci_low', 'production_ci_high',
                   'production_is_assessable', 'production_meets_bound',
                   'production_detail'] -%}
with evaluations as (
    select * from {{ ref('int_gate_evaluations') }}
),

checks as (
    {%- for model in ['int_gate_auc_margin', 'int_gate_fairness', 'int_gate_sensitive_importance',
                      'int_gate_validation_auc_floor', 'int_gate_fuzz_counterfactual'] %}
    select {{ columns | join(', ') }} from {{ ref(model) }}
    {{ "union all" if not loop.last }}
    {%- endfor %}
),

final as (
    select
        cast(checks.evaluation_id as {{ text }}) as evaluation_id,
        cast(evaluations.model_name as {{ text }}) as model_name,
        cast(evaluations.candidate_version as {{ text }}) as candidate_version,
        cast(evaluations.production_version as {{ text }}) as production_version,
        cast(checks.check_name as {{ text }}) as check_name,
        cast(checks.observed as {{ double }}) as observed,
        cast(checks.ci_low as {{ double }}) as ci_low,
        cast(checks.ci_high as {{ double }}) as ci_high,
        cast(checks.bound as {{ double }}) as bound,
        coalesce(checks.is_assessable, false) as is_assessable,
        -- passed only when assessable: a NaN compares above every number on both engines
        coalesce(checks.is_assessable and checks.meets_bound, false) as passed,
        cast(checks.detail as {{ text }}) as detail,
        cast(checks.groups_too_small as {{ text }}) as groups_too_small,
        cast(checks.production_observed as {{ double }}) as production_observed,
        cast(checks.production_ci_low as {{ double }}) as production_ci_low,
        cast(checks.production_ci_high as {{ double }}) as production_ci_high,
        -- null: no production, or a check production is not judged on (the AUC margin)
        case when checks.production_is_assessable is not null
             then coalesce(checks.production_is_assessable and checks.production_meets_bound,
                           false) end as production_passed,
        cast(checks.production_detail as {{ text }}) as production_detail
    from checks
    inner join evaluations on checks.evaluation_id = evaluations.evaluation_id
)

select * from final
