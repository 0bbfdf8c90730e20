{{
    config(
        materialized='incremental',
        on_schema_change='append_new_columns',
        **vigie.day_incremental_config('window_date')
    )
}}

{#- One wide row per labelled prediction: what training and evaluation read, so that the latest
    label (int_labels_latest), the typed feature values (int_feature_values_typed) and the
    sensitive bands (int_prediction_groups) keep one definition each. The feature and band
    columns are laid out at compile time from seeds/feature_schema.csv: one column per feature
    named as the feature (double precision for numeric and integer features, text for
    categorical ones; text when models disagree on the type) and one `<attribute>__group`
    column per sensitive attribute. Before the seed exists (parse, or compile on a fresh
    warehouse) the layout is empty; `dbt build` seeds first, so the built table is complete.
    Incremental by the prediction's day: a day is rebuilt when its predictions, the labels
    about them or the configuration (the schema seed among it) changed (vigie.window_state_ctes);
    a feature added to the schema adds its column and rebuilds every day. -#}
{%- set schema_seed = ref('feature_schema') -%}
{%- set categorical = vigie.get_column_values(schema_seed, 'feature_name',
                                             where="feature_type = 'categorical'") -%}
{%- set numeric = vigie.get_column_values(schema_seed, 'feature_name',
                                         where="feature_type in ('numeric', 'integer')") -%}
{%- set attributes = vigie.get_column_values(schema_seed, 'feature_name',
                                            where="is_sensitive") -%}
{%- set features = (categorical + numeric) | unique(case_sensitive=true) | sort(case_sensitive=true) -%}
{%- set fixed_columns = ['prediction_id', 'model_name', 'model_version', 'scored_at',
                         'window_date', 'score', 'decision', 'is_favorable_decision', 'outcome',
                         'label_received_at', 'is_favorable_outcome', 'window_state'] -%}
{%- set seen = {} -%}
{%- set layout = fixed_columns + features -%}
{%- for attribute in attributes -%}
    {%- do layout.append(attribute ~ '__group') -%}
{%- endfor -%}
{%- for column in layout -%}
    {%- if column | lower in seen -%}
        {{ exceptions.raise_compiler_error(
            "int_training_examples: seeds/feature_schema.csv gives two columns the same name "
            ~ "(case-insensitively): " ~ seen[column | lower] ~ " and " ~ column
            ~ "; rename the feature") }}
    {%- endif -%}
    {%- do seen.update({column | lower: column}) -%}
{%- endfor -%}

with {{ vigie.window_state_ctes() }}

labels as (
    select prediction_id, received_at, outcome, is_favorable_outcome
    from {{ ref('int_labels_latest') }}
    {{ vigie.in_windows_to_rebuild() }}
),

predictions as (
    select
        prediction_id,
        model_name,
        model_version,
        scored_at,
        window_date,
        score,
        decision,
        is_favorable_decision
    from {{ ref('int_predictions_decided') }}
    {{ vigie.in_windows_to_rebuild() }}
),

feature_values as (
    select prediction_id, feature_name, value_numeric, value_category
    from {{ ref('int_feature_values_typed') }}
    {{ vigie.in_windows_to_rebuild() }}
),

prediction_groups as (
    select prediction_id, attribute, group_name from {{ ref('int_prediction_groups') }}
    {{ vigie.in_windows_to_rebuild() }}
),

labelled_feature_values as (
    select feature_values.*
    from feature_values
    inner join labels on feature_values.prediction_id = labels.prediction_id
),

features_wide as (
    select
        prediction_id
        {%- for feature in features %},
        max(case when feature_name = {{ vigie.quote_string(feature) }} then
            {%- if feature in categorical and feature in numeric %}
            coalesce(value_category, cast(value_numeric as {{ dbt.type_string() }}))
            {%- elif feature in categorical %} value_category
            {%- else %} value_numeric
            {%- endif %} end) as {{ vigie.quote_identifier(feature) }}
        {%- endfor %}
    from labelled_feature_values
    group by prediction_id
),

bands_wide as (
    select
        prediction_id
        {%- for attribute in attributes %},
        max(case when attribute = {{ vigie.quote_string(attribute) }} then group_name end)
            as {{ vigie.quote_identifier(attribute ~ '__group') }}
        {%- endfor %}
    from prediction_groups
    group by prediction_id
),

final as (
    select
        predictions.prediction_id,
        predictions.model_name,
        predictions.model_version,
        predictions.scored_at,
        predictions.window_date,
        predictions.score,
        predictions.decision,
        predictions.is_favorable_decision,
        labels.outcome,
        labels.received_at as label_received_at,
        labels.is_favorable_outcome
        {%- for feature in features %},
        features_wide.{{ vigie.quote_identifier(feature) }}
        {%- endfor %}
        {%- for attribute in attributes %},
        bands_wide.{{ vigie.quote_identifier(attribute ~ '__group') }}
        {%- endfor %},
        day_states.window_state
    from labels
    inner join predictions on labels.prediction_id = predictions.prediction_id
    inner join day_states
        on predictions.window_date = day_states.window_date
        and predictions.model_name = day_states.model_name
        and predictions.model_version = day_states.model_version
    left join features_wide on labels.prediction_id = features_wide.prediction_id
    left join bands_wide on labels.prediction_id = bands_wide.prediction_id
)

select * from final
