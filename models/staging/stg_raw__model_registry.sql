with source as (
    select * from {{ source('raw', 'model_registry') }}
),

renamed as (
    select
        registry_event_id,
        model_name,
        model_version,
        event as registry_event,
        stage,
        recorded_at,
        trained_at,
        training_window_start,
        training_window_end,
        dataset_hash,
        n_training_rows,
        cast(validation_auc as {{ vigie.type_double() }}) as validation_auc,
        cast(decision_threshold as {{ vigie.type_double() }}) as decision_threshold,
        feature_list,
        artifact_path,
        reason,
        details,
        training_method,
        answers_version
    from source
)

select * from renamed
