{{
    config(
        materialized='incremental',
        on_schema_change='append_new_columns',
        **vigie.day_incremental_config('window_date')
    )
}}

-- A table, not a view: the marts and their tests read it several times. One row per
-- prediction × sensitive attribute of its model, with the group the value falls in
-- (seeds/sensitive_groups: numeric bands [lower_bound, upper_bound), categories by value) and the
-- decision's and latest label's favourability. A missing value (key absent or JSON null) or a
-- value in no band is the group 'unknown': no prediction is dropped. Incremental by day: a
-- day is rebuilt when its predictions, the labels about them or the configuration changed
-- (vigie.window_state_ctes).
with {{ vigie.window_state_ctes() }}

predictions as (
    select * from {{ ref('int_predictions_decided') }}
    {{ vigie.in_windows_to_rebuild() }}
),

labels as (
    select prediction_id, is_favorable_outcome from {{ ref('int_labels_latest') }}
    {{ vigie.in_windows_to_rebuild() }}
),

attributes as (
    select * from {{ ref('int_model_sensitive_attributes') }}
),

bands as (
    select attribute, group_name, lower_bound, upper_bound, category_value
    from {{ ref('sensitive_groups') }}
),

sensitive_values as (
    select prediction_id, feature_name, value_text, value_numeric, value_category
    from {{ ref('int_prediction_features_unpivoted') }}
    where feature_name in (select attribute from attributes)
    {%- if is_incremental() %}
        and window_date in (select window_date from windows)
    {%- endif %}
),

prediction_attributes as (
    select
        predictions.prediction_id,
        predictions.model_name,
        predictions.model_version,
        predictions.window_date,
        predictions.is_favorable_decision,
        labels.is_favorable_outcome,
        attributes.attribute
    from predictions
    inner join attributes on predictions.model_name = attributes.model_name
    left join labels on predictions.prediction_id = labels.prediction_id
),

valued as (
    select
        prediction_attributes.*,
        sensitive_values.value_text,
        sensitive_values.value_numeric
    from prediction_attributes
    left join sensitive_values
        on prediction_attributes.prediction_id = sensitive_values.prediction_id
        and prediction_attributes.attribute = sensitive_values.feature_name
),

banded as (
    select
        valued.*,
        bands.group_name,
        -- overlapping bands are a seed error (tests/dbt): keep the first by name, never two
        row_number() over (
            partition by valued.prediction_id, valued.attribute order by bands.group_name
        ) as band_rank
    from valued
    left join bands
        on valued.attribute = bands.attribute
        and {{ vigie.value_in_band('valued.value_text', 'valued.value_numeric') }}
),

final as (
    select
        banded.prediction_id,
        banded.model_name,
        banded.model_version,
        banded.window_date,
        banded.attribute,
        coalesce(banded.group_name, 'unknown') as group_name,
        banded.value_text as attribute_value,
        banded.is_favorable_decision,
        banded.is_favorable_outcome,
        day_states.window_state
    from banded
    inner join day_states
        on banded.window_date = day_states.window_date
        and banded.model_name = day_states.model_name
        and banded.model_version = day_states.model_version
    where banded.band_rank = 1
)

select * from final
