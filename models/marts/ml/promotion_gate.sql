-- The gate's verdict per evaluation, from its checks (promotion_gate_checks): promoted when all
-- six checks are assessable and pass (the fuzz counterfactual check passes when switched off); skipped when the only failing check is an assessable AUC
-- margin (fair, but not better enough); blocked otherwise, including when a check row is
-- missing. The decision asset records this verdict; it never recomputes it. Beside it: how the
-- candidate was trained (the registry), production's own failures on the same rows, and the
-- way out when production fails: the mitigated candidate answering this block if the gate
-- promotes it, else a rollback to an earlier production version whose promotion passed every
-- check, else a freeze of automated decisions for review.
with checks as (
    select * from {{ ref('promotion_gate_checks') }}
),

performance as (
    select * from {{ ref('candidate_evaluation_performance') }}
),

registry as (
    select * from {{ ref('stg_raw__model_registry') }}
),

thresholds as (
    select max(case when threshold_name = 'promotion_delta' then threshold_value end)
        as promotion_delta
    from {{ ref('thresholds') }}
),

evaluations as (
    select
        evaluation_id,
        max(case when evaluation_role = 'candidate' then roc_auc end) as candidate_auc,
        max(case when evaluation_role = 'production' then roc_auc end) as production_auc,
        max(evaluated_at) as evaluated_at
    from performance
    group by evaluation_id
),

tallies as (
    select
        evaluation_id,
        model_name,
        candidate_version,
        production_version,
        count(distinct check_name) as n_checks,
        sum(case when passed then 1 else 0 end) as n_passed,
        sum(case when check_name <> 'auc_margin' and not passed then 1 else 0 end)
            as n_fairness_failed,
        max(case when check_name = 'auc_margin' and is_assessable then 1 else 0 end)
            as is_margin_assessable,
        max(case when check_name = 'auc_margin' then detail end) as margin_detail,
        {{ vigie.ordered_listagg('case when not passed then detail end', "'; '",
                       'order by check_name') }} as failed_details,
        -- both fairness checks leave out the same groups: name them once
        max(case when check_name = 'four_fifths' then groups_too_small end) as groups_too_small,
        {{ vigie.ordered_listagg("case when not production_passed then check_name end", "', '",
                       'order by check_name') }} as production_failed_checks
    from checks
    group by evaluation_id, model_name, candidate_version, production_version
),

decided as (
    select
        tallies.*,
        case
            when tallies.n_checks = 6 and tallies.n_passed = 6 then 'promoted'
            when tallies.n_checks = 6 and tallies.n_fairness_failed = 0
                and tallies.is_margin_assessable = 1 then 'skipped'
            else 'blocked'
        end as decision
    from tallies
),

-- how each version was trained, and which blocked candidate a mitigated one answers
training as (
    select
        model_name,
        model_version,
        max(training_method) as training_method,
        max(answers_version) as answers_version,
        max(case when stage = 'production' then 1 else 0 end) as was_production
    from registry
    group by model_name, model_version
),

-- each version's latest gate verdict
latest_verdicts as (
    select
        decided.model_name,
        decided.candidate_version,
        decided.decision,
        row_number() over (partition by decided.model_name, decided.candidate_version
                           order by evaluations.evaluated_at desc, decided.evaluation_id desc)
            as verdict_rank
    from decided
    left join evaluations on decided.evaluation_id = evaluations.evaluation_id
),

promoted_versions as (
    select model_name, candidate_version as model_version
    from latest_verdicts
    where verdict_rank = 1 and decision = 'promoted'
),

-- the mitigated candidate the gate promotes in answer to this candidate (or this one itself)
mitigations as (
    select
        decided.evaluation_id,
        max(training.model_version) as mitigated_version
    from decided
    inner join training
        on decided.model_name = training.model_name
        and training.training_method = 'mitigated'
        and (training.answers_version = decided.candidate_version
             or training.model_version = decided.candidate_version)
    inner join promoted_versions
        on training.model_name = promoted_versions.model_name
        and training.model_version = promoted_versions.model_version
    group by decided.evaluation_id
),

-- an earlier production version (not the current one) whose promotion passed every check
rollbacks as (
    select
        decided.evaluation_id,
        max(training.model_version) as rollback_version
    from decided
    inner join training
        on decided.model_name = training.model_name
        and training.was_production = 1
        and training.model_version <> coalesce(decided.production_version, '')
        and training.model_version <> decided.candidate_version
    inner join promoted_versions
        on training.model_name = promoted_versions.model_name
        and training.model_version = promoted_versions.model_version
    group by decided.evaluation_id
),

final as (
    select
        cast(decided.evaluation_id as {{ dbt.type_string() }}) as evaluation_id,
        cast(decided.model_name as {{ dbt.type_string() }}) as model_name,
        cast(decided.candidate_version as {{ dbt.type_string() }}) as candidate_version,
        cast(decided.production_version as {{ dbt.type_string() }}) as production_version,
        evaluations.evaluated_at,
        cast(evaluations.candidate_auc as {{ vigie.type_double() }}) as candidate_auc,
        cast(evaluations.production_auc as {{ vigie.type_double() }}) as production_auc,
        cast(evaluations.candidate_auc - evaluations.production_auc as {{ vigie.type_double() }})
            as auc_delta,
        cast(thresholds.promotion_delta as {{ vigie.type_double() }}) as promotion_delta,
        cast(decided.n_checks as {{ dbt.type_bigint() }}) as n_checks,
        cast(decided.n_passed as {{ dbt.type_bigint() }}) as n_checks_passed,
        cast(decided.decision as {{ dbt.type_string() }}) as decision,
        cast(case
            when decided.decision = 'promoted'
                then decided.margin_detail || ', and every gate check passed'
                    || coalesce('; groups too small to judge: ' || decided.groups_too_small, '')
            when decided.n_checks < 6
                then coalesce(decided.failed_details || '; ', '') || 'only '
                    || cast(decided.n_checks as {{ dbt.type_string() }})
                    || ' of the 6 gate checks were evaluated'
            else decided.failed_details
        end as {{ dbt.type_string() }}) as reasons,
        cast(decided.groups_too_small as {{ dbt.type_string() }}) as groups_too_small,
        cast(candidate_training.training_method as {{ dbt.type_string() }}) as training_method,
        cast(candidate_training.answers_version as {{ dbt.type_string() }}) as answers_version,
        cast(decided.production_failed_checks as {{ dbt.type_string() }})
            as production_failed_checks,
        cast(case
            when decided.production_failed_checks is null then null
            when mitigations.mitigated_version is not null
                then 'promote the mitigated candidate ' || mitigations.mitigated_version
                    || ', which passes every gate check on the same rows'
            when rollbacks.rollback_version is not null
                then 'roll back to ' || rollbacks.rollback_version
                    || ', an earlier production version whose promotion passed every gate check'
            else 'freeze automated decisions of ' || decided.model_name || ' for review: '
                || 'production ' || decided.production_version || ' fails '
                || decided.production_failed_checks
                || ' and no mitigated candidate or earlier version passes the gate'
        end as {{ dbt.type_string() }}) as production_way_out
    from decided
    cross join thresholds
    left join evaluations on decided.evaluation_id = evaluations.evaluation_id
    left join training as candidate_training
        on decided.model_name = candidate_training.model_name
        and decided.candidate_version = candidate_training.model_version
    left join mitigations on decided.evaluation_id = mitigations.evaluation_id
    left join rollbacks on decided.evaluation_id = rollbacks.evaluation_id
)

select * from final
