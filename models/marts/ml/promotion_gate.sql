-- The gate's verdict per evaluation, from its checks (promotion_gate_checks): promoted when all
-- five checks are assessable and pass; skipped when the only failing check is an assessable AUC
-- margin (fair, but not better enough); blocked otherwise, including when a check row is
-- missing. The decision asset records this verdict; it never recomputes it.
with checks as (
    select * from {{ ref('promotion_gate_checks') }}
),

performance as (
    select * from {{ ref('candidate_evaluation_performance') }}
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
        {{ dbt.listagg('case when not passed then detail end', "'; '",
                       'order by check_name') }} as failed_details
    from checks
    group by evaluation_id, model_name, candidate_version, production_version
),

decided as (
    select
        tallies.*,
        case
            when tallies.n_checks = 5 and tallies.n_passed = 5 then 'promoted'
            when tallies.n_checks = 5 and tallies.n_fairness_failed = 0
                and tallies.is_margin_assessable = 1 then 'skipped'
            else 'blocked'
        end as decision
    from tallies
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
            when decided.n_checks < 5
                then coalesce(decided.failed_details || '; ', '') || 'only '
                    || cast(decided.n_checks as {{ dbt.type_string() }})
                    || ' of the 5 gate checks were evaluated'
            else decided.failed_details
        end as {{ dbt.type_string() }}) as reasons
    from decided
    cross join thresholds
    left join evaluations on decided.evaluation_id = evaluations.evaluation_id
)

select * from final
