-- The sensitive attributes of each model seen in predictions (evaluation scores re-score
-- predictions, so their models are here too, and the production marts do not depend on the
-- candidate's evaluation): the feature_schema rows flagged is_sensitive for that model, or for
-- the default model (var vigie_default_model) when the seed configures no feature for it.
with feature_schema as (
    select model_name, feature_name, is_sensitive from {{ ref('feature_schema') }}
),

served_models as (
    select distinct model_name from {{ ref('stg_raw__predictions') }}
),

configured_models as (
    select distinct model_name from feature_schema
),

resolved as (
    select
        served_models.model_name,
        coalesce(configured_models.model_name, '{{ var("vigie_default_model") }}')
            as configured_model_name
    from served_models
    left join configured_models on served_models.model_name = configured_models.model_name
),

final as (
    select distinct
        resolved.model_name,
        feature_schema.feature_name as attribute
    from resolved
    inner join feature_schema
        on resolved.configured_model_name = feature_schema.model_name
    where feature_schema.is_sensitive
)

select * from final
