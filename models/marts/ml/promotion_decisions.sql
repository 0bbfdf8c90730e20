-- One row per recorded promotion decision (registry events approved, blocked, skipped): the
-- candidate, the production version it was compared with on the same held-out rows, and the
-- gate's numbers and verdicts as promotion_gate / promotion_gate_checks define them (nothing is
-- recomputed here). The decision and reasons are the registry's record of the gate's verdict;
-- an 'approved' event is a promotion (production_model then makes the version production).
with registry as (
    select * from {{ ref('stg_raw__model_registry') }}
),

gate as (
    select * from {{ ref('promotion_gate') }}
),

checks as (
    select * from {{ ref('promotion_gate_checks') }}
),

decisions as (
    select * from registry where registry_event in ('approved', 'blocked', 'skipped')
),

-- how the candidate was trained, from its registration (a mitigated one names the blocked
-- candidate it answers)
registered as (
    select
        model_name,
        model_version,
        max(training_method) as training_method,
        max(answers_version) as answers_version
    from registry
    group by model_name, model_version
),

-- the latest evaluation of the candidate gated before the decision was recorded
latest_evaluation as (
    select
        decisions.registry_event_id,
        gate.evaluation_id,
        row_number() over (
            partition by decisions.registry_event_id order by gate.evaluated_at desc
        ) as evaluation_rank
    from decisions
    inner join gate
        on decisions.model_name = gate.model_name
        and decisions.model_version = gate.candidate_version
        and gate.evaluated_at <= decisions.recorded_at
),

check_columns as (
    select
        evaluation_id,
        max(case when check_name = 'auc_margin' and passed then 1 else 0 end)
            as passes_auc_margin,
        max(case when check_name = 'four_fifths' then observed end)
            as min_demographic_parity_ratio,
        max(case when check_name = 'four_fifths' and passed then 1 else 0 end)
            as passes_four_fifths_rule,
        max(case when check_name = 'equalized_odds' then observed end)
            as max_equalized_odds_difference,
        max(case when check_name = 'equalized_odds' and passed then 1 else 0 end)
            as passes_equalized_odds,
        max(case when check_name = 'sensitive_importance' then observed end)
            as sensitive_importance_share,
        max(case when check_name = 'sensitive_importance' and passed then 1 else 0 end)
            as passes_sensitive_importance,
        max(case when check_name = 'validation_auc_floor' then observed end) as validation_auc,
        max(case when check_name = 'validation_auc_floor' and passed then 1 else 0 end)
            as passes_validation_auc_floor,
        sum(case when is_assessable then 0 else 1 end) as n_checks_not_assessable
    from checks
    group by evaluation_id
),

final as (
    select
        cast(decisions.registry_event_id as {{ dbt.type_string() }}) as decision_id,
        cast(decisions.model_name as {{ dbt.type_string() }}) as model_name,
        cast(decisions.model_version as {{ dbt.type_string() }}) as candidate_version,
        cast(gate.production_version as {{ dbt.type_string() }}) as production_version,
        cast(gate.evaluation_id as {{ dbt.type_string() }}) as evaluation_id,
        decisions.recorded_at as decided_at,
        gate.candidate_auc,
        gate.production_auc,
        gate.auc_delta,
        gate.promotion_delta,
        coalesce(check_columns.passes_auc_margin = 1, false) as passes_auc_margin,
        cast(check_columns.min_demographic_parity_ratio as {{ vigie.type_double() }})
            as min_demographic_parity_ratio,
        coalesce(check_columns.passes_four_fifths_rule = 1, false) as passes_four_fifths_rule,
        cast(check_columns.max_equalized_odds_difference as {{ vigie.type_double() }})
            as max_equalized_odds_difference,
        coalesce(check_columns.passes_equalized_odds = 1, false) as passes_equalized_odds,
        cast(check_columns.sensitive_importance_share as {{ vigie.type_double() }})
            as sensitive_importance_share,
        coalesce(check_columns.passes_sensitive_importance = 1, false)
            as passes_sensitive_importance,
        cast(check_columns.validation_auc as {{ vigie.type_double() }}) as validation_auc,
        coalesce(check_columns.passes_validation_auc_floor = 1, false)
            as passes_validation_auc_floor,
        cast(check_columns.n_checks_not_assessable as {{ dbt.type_bigint() }})
            as n_checks_not_assessable,
        cast(gate.decision as {{ dbt.type_string() }}) as gate_decision,
        cast(case when decisions.registry_event = 'approved' then 'promoted'
                  else decisions.registry_event end as {{ dbt.type_string() }}) as decision,
        cast(decisions.reason as {{ dbt.type_string() }}) as reasons,
        cast(gate.groups_too_small as {{ dbt.type_string() }}) as groups_too_small,
        cast(coalesce(decisions.training_method, registered.training_method)
             as {{ dbt.type_string() }}) as training_method,
        cast(coalesce(decisions.answers_version, registered.answers_version)
             as {{ dbt.type_string() }}) as answers_version,
        cast(gate.production_failed_checks as {{ dbt.type_string() }})
            as production_failed_checks,
        cast(gate.production_way_out as {{ dbt.type_string() }}) as production_way_out
    from decisions
    left join latest_evaluation
        on decisions.registry_event_id = latest_evaluation.registry_event_id
        and latest_evaluation.evaluation_rank = 1
    left join gate on latest_evaluation.evaluation_id = gate.evaluation_id
    left join check_columns on latest_evaluation.evaluation_id = check_columns.evaluation_id
    left join registered
        on decisions.model_name = registered.model_name
        and decisions.model_version = registered.model_version
)

select * from final
