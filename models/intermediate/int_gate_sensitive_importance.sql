{#- The promotion gate's sensitive-importance check, one row per evaluation: the candidate's
    share of SHAP importance on sensitive features against sensitive_importance_share_max, and
    its rise over production's against sensitive_importance_jump_max; production's own share
    against the same maximum. Non-finite or missing importances are not assessable. -#}
{%- set n = vigie.gate_number -%}
{%- set finite = vigie.is_finite -%}
{%- set text = dbt.type_string() -%}
with evaluations as (
    select * from {{ ref('int_gate_evaluations') }}
),

importance as (
    select * from {{ ref('feature_importance') }}
),

thresholds as (
    {{ vigie.gate_thresholds(ref('thresholds')) }}
),

shares as (
    select
        model_name,
        model_version,
        count(*) as n_features,
        sum(case when {{ finite('mean_abs_contribution') }} and {{ finite('importance_share') }}
                 then 0 else 1 end) as n_non_finite,
        sum(case when is_sensitive then importance_share else 0 end) as sensitive_share
    from importance
    group by model_name, model_version
),

importance_inputs as (
    select
        evaluations.evaluation_id,
        evaluations.production_version,
        candidate.sensitive_share as candidate_share,
        candidate.n_non_finite as candidate_non_finite,
        candidate.n_features as candidate_features,
        production.sensitive_share as production_share,
        production.n_non_finite as production_non_finite,
        production.n_features as production_features,
        thresholds.sensitive_importance_share_max as share_max,
        thresholds.sensitive_importance_jump_max as jump_max
    from evaluations
    cross join thresholds
    left join shares as candidate
        on evaluations.model_name = candidate.model_name
        and evaluations.candidate_version = candidate.model_version
    left join shares as production
        on evaluations.model_name = production.model_name
        and evaluations.production_version = production.model_version
),

final as (
    select
        evaluation_id,
        'sensitive_importance' as check_name,
        candidate_share as observed,
        cast(null as {{ vigie.type_double() }}) as ci_low,
        cast(null as {{ vigie.type_double() }}) as ci_high,
        share_max as bound,
        coalesce(candidate_non_finite = 0, false)
            and {{ finite('candidate_share') }}
            and {{ finite('share_max') }}
            and {{ finite('jump_max') }}
            and (production_version is null
                 or (coalesce(production_non_finite = 0, false)
                     and {{ finite('production_share') }})) as is_assessable,
        case
            when candidate_features is null
                then 'sensitive importance not assessable: the candidate has no SHAP contributions'
            when candidate_non_finite > 0 or not {{ finite('candidate_share') }}
                then 'sensitive importance not assessable: '
                    || cast(candidate_non_finite as {{ text }})
                    || ' of the candidate''s SHAP importances are null or not finite'
            when production_version is not null and production_features is null
                then 'sensitive importance not assessable: production ' || production_version
                    || ' has no SHAP contributions to compare with'
            when production_version is not null
                and (production_non_finite > 0 or not {{ finite('production_share') }})
                then 'sensitive importance not assessable: production ' || production_version
                    || ' has SHAP importances that are null or not finite'
            when not ({{ finite('share_max') }} and {{ finite('jump_max') }})
                then 'sensitive importance not assessable: bounds '
                    || {{ n('share_max') }} || ' / ' || {{ n('jump_max') }}
            when candidate_share > share_max
                then 'sensitive features carry ' || {{ n('candidate_share', 1, 100) }}
                    || '% of SHAP importance > ' || {{ n('share_max', 1, 100) }} || '%'
            when production_version is not null and candidate_share - production_share > jump_max
                then 'sensitive features'' SHAP share rose from '
                    || {{ n('production_share', 1, 100) }} || '% to '
                    || {{ n('candidate_share', 1, 100) }} || '% (+'
                    || {{ n('candidate_share - production_share', 1, 100) }} || '% > '
                    || {{ n('jump_max', 1, 100) }} || '%)'
            else 'sensitive features carry ' || {{ n('candidate_share', 1, 100) }}
                || '% of SHAP importance (max ' || {{ n('share_max', 1, 100) }} || '%'
                || coalesce(', production ' || {{ n('production_share', 1, 100) }} || '%', '')
                || ')'
        end as detail,
        candidate_share <= share_max
            and (production_version is null or candidate_share - production_share <= jump_max)
            as meets_bound,
        cast(null as {{ text }}) as groups_too_small,
        -- production judged alone: its own share against share_max (no jump over itself)
        case when production_version is not null then production_share end
            as production_observed,
        cast(null as {{ vigie.type_double() }}) as production_ci_low,
        cast(null as {{ vigie.type_double() }}) as production_ci_high,
        case when production_version is not null
             then coalesce(production_non_finite = 0, false)
                 and {{ finite('production_share') }} and {{ finite('share_max') }} end
            as production_is_assessable,
        case when production_version is not null then production_share <= share_max end
            as production_meets_bound,
        case
            when production_version is null then null
            when production_features is null or production_non_finite > 0
                or not {{ finite('production_share') }}
                then 'sensitive importance not assessable for production ' || production_version
                    || ': SHAP importances missing or not finite'
            when production_share > share_max
                then 'production ' || production_version || ': sensitive features carry '
                    || {{ n('production_share', 1, 100) }} || '% of SHAP importance > '
                    || {{ n('share_max', 1, 100) }} || '%'
            else 'production ' || production_version || ': sensitive features carry '
                || {{ n('production_share', 1, 100) }} || '% of SHAP importance (max '
                || {{ n('share_max', 1, 100) }} || '%)'
        end as production_detail
    from importance_inputs
)

select * from final
