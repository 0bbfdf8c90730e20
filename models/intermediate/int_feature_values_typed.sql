-- One row per logged prediction × schema feature present in its JSON, with the value typed by
-- the feature's schema type for drift statistics: value_numeric for a numeric or integer
-- feature whose JSON value is a number (fractional or out-of-range numbers included),
-- value_category for a categorical feature whose JSON value is a string (unknown categories
-- included). JSON null and values of the wrong JSON type are null in both. The values were typed
-- once, in the incremental unpivot; here they are only kept or not by the schema's type.
with feature_values as (
    select * from {{ ref('int_prediction_features_unpivoted') }}
),

feature_schema as (
    select model_name, feature_name, feature_type from {{ ref('feature_schema') }}
),

final as (
    select
        feature_values.prediction_id,
        feature_values.model_name,
        feature_values.model_version,
        feature_values.window_date,
        feature_values.feature_name,
        feature_schema.feature_type,
        case
            when feature_schema.feature_type in ('numeric', 'integer')
                and feature_values.json_type = 'number'
                then feature_values.value_numeric
        end as value_numeric,
        case
            when feature_schema.feature_type = 'categorical'
                and feature_values.json_type = 'string'
                then feature_values.value_category
        end as value_category
    from feature_values
    inner join feature_schema
        on feature_values.model_name = feature_schema.model_name
        and feature_values.feature_name = feature_schema.feature_name
)

select * from final
