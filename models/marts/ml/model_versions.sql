-- One row per model version: its current stage (the stage of its latest registry event), the
-- facts of its registration (training window, dataset hash, threshold), its validation AUC
-- (int_validation_auc, from the scores of its held-out rows) and the
-- share of its SHAP importance on sensitive features.
with registry as (
    select * from {{ ref('stg_raw__model_registry') }}
),

importance as (
    select * from {{ ref('feature_importance') }}
),

validation as (
    select * from {{ ref('int_validation_auc') }}
),

ranked as (
    select
        registry.*,
        row_number() over (
            partition by model_name, model_version
            order by recorded_at desc, registry_event_id desc
        ) as event_rank,
        row_number() over (
            partition by model_name, model_version, registry_event
            order by recorded_at desc, registry_event_id desc
        ) as same_event_rank
    from registry
),

latest as (
    select * from ranked where event_rank = 1
),

registered as (
    select * from ranked where registry_event = 'registered' and same_event_rank = 1
),

event_counts as (
    select
        model_name,
        model_version,
        count(*) as n_registry_events
    from registry
    group by model_name, model_version
),

sensitive_share as (
    select
        model_name,
        model_version,
        sum(case when is_sensitive then importance_share else 0 end) as sensitive_importance_share
    from importance
    group by model_name, model_version
),

final as (
    select
        cast(latest.model_name as {{ dbt.type_string() }}) as model_name,
        cast(latest.model_version as {{ dbt.type_string() }}) as model_version,
        cast(latest.stage as {{ dbt.type_string() }}) as stage,
        cast(latest.registry_event as {{ dbt.type_string() }}) as latest_event,
        latest.recorded_at as stage_changed_at,
        latest.stage = 'production' as is_production,
        registered.recorded_at as registered_at,
        registered.trained_at,
        registered.training_window_start,
        registered.training_window_end,
        cast(registered.dataset_hash as {{ dbt.type_string() }}) as dataset_hash,
        cast(registered.n_training_rows as {{ dbt.type_bigint() }}) as n_training_rows,
        -- from the validation rows' scores (int_validation_auc), not from the registry row
        cast(validation.validation_auc as {{ vigie.type_double() }}) as validation_auc,
        cast(registered.decision_threshold as {{ vigie.type_double() }}) as decision_threshold,
        cast(registered.artifact_path as {{ dbt.type_string() }}) as artifact_path,
        cast(sensitive_share.sensitive_importance_share as {{ vigie.type_double() }})
            as sensitive_importance_share,
        cast(event_counts.n_registry_events as {{ dbt.type_bigint() }}) as n_registry_events
    from latest
    inner join event_counts
        on latest.model_name = event_counts.model_name
        and latest.model_version = event_counts.model_version
    left join registered
        on latest.model_name = registered.model_name
        and latest.model_version = registered.model_version
    left join sensitive_share
        on latest.model_name = sensitive_share.model_name
        and latest.model_version = sensitive_share.model_version
    left join validation
        on latest.model_name = validation.model_name
        and latest.model_version = validation.model_version
)

select * from final
