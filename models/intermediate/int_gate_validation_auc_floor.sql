{#- The promotion gate's validation-AUC floor, one row per evaluation: the candidate's validation
    AUC (as model_versions shows it, int_validation_auc) against validation_auc_floor, and
    production's against the same floor. Missing or non-finite is not assessable. -#}
{%- set n = vigie.gate_number -%}
{%- set finite = vigie.is_finite -%}
{%- set text = dbt.type_string() -%}
with evaluations as (
    select * from {{ ref('int_gate_evaluations') }}
),

validation as (
    select * from {{ ref('int_validation_auc') }}
),

thresholds as (
    {{ vigie.gate_thresholds(ref('thresholds')) }}
),

final as (
    select
        evaluations.evaluation_id,
        'validation_auc_floor' as check_name,
        validation.validation_auc as observed,
        cast(null as {{ vigie.type_double() }}) as ci_low,
        cast(null as {{ vigie.type_double() }}) as ci_high,
        thresholds.validation_auc_floor as bound,
        {{ finite('validation.validation_auc') }}
            and {{ finite('thresholds.validation_auc_floor') }} as is_assessable,
        case
            when validation.model_version is null
                then 'validation AUC not assessable: the candidate has no validation scores'
            when not {{ finite('validation.validation_auc') }}
                then 'validation AUC not assessable: it is '
                    || {{ n('validation.validation_auc') }}
                    || ' (validation set with one class, or not recorded)'
            when validation.validation_auc >= thresholds.validation_auc_floor
                then 'validation AUC ' || {{ n('validation.validation_auc') }} || ' >= floor '
                    || {{ n('thresholds.validation_auc_floor') }}
            else 'validation AUC ' || {{ n('validation.validation_auc') }} || ' < floor '
                || {{ n('thresholds.validation_auc_floor') }}
        end as detail,
        validation.validation_auc >= thresholds.validation_auc_floor as meets_bound,
        cast(null as {{ text }}) as groups_too_small,
        production.validation_auc as production_observed,
        cast(null as {{ vigie.type_double() }}) as production_ci_low,
        cast(null as {{ vigie.type_double() }}) as production_ci_high,
        case when evaluations.production_version is not null
             then {{ finite('production.validation_auc') }}
                 and {{ finite('thresholds.validation_auc_floor') }} end
            as production_is_assessable,
        case when evaluations.production_version is not null
             then production.validation_auc >= thresholds.validation_auc_floor end
            as production_meets_bound,
        case
            when evaluations.production_version is null then null
            when not {{ finite('production.validation_auc') }}
                then 'validation AUC of production ' || evaluations.production_version
                    || ' not assessable: it is ' || {{ n('production.validation_auc') }}
            else 'production ' || evaluations.production_version || ' validation AUC '
                || {{ n('production.validation_auc') }}
                || case when production.validation_auc >= thresholds.validation_auc_floor
                        then ' >= floor ' else ' < floor ' end
                || {{ n('thresholds.validation_auc_floor') }}
        end as production_detail
    from evaluations
    cross join thresholds
    left join validation
        on evaluations.model_name = validation.model_name
        and evaluations.candidate_version = validation.model_version
    left join validation as production
        on evaluations.model_name = production.model_name
        and evaluations.production_version = production.model_version
)

select * from final
