-- What sets the riskiest scores apart, per day × model × version × feature: predictions fall in
-- score deciles by ntile(10) over (score, prediction_id) within the day × model × version (ties
-- in score broken by prediction_id, so deciles differ in size by at most one; decile 10 holds
-- the highest scores). Numeric features: mean among the top decile vs the bottom decile (values
-- present). Categorical features: the most frequent value in the top decile (ties by value) and
-- its share of each of the two deciles' predictions. Incremental by day: a day is rebuilt
-- when its predictions changed (vigie.window_state_ctes without feedback: labels do not move
-- deciles).
{{
    config(
        materialized='incremental',
        on_schema_change='append_new_columns',
        **vigie.day_incremental_config('window_date')
    )
}}

with {{ vigie.window_state_ctes(feedback=false) }}

decided as (
    select prediction_id, window_date, model_name, model_version, score
    from {{ ref('int_predictions_decided') }}
    {{ vigie.in_windows_to_rebuild() }}
),

features as (
    select prediction_id, feature_name, value_numeric, value_category
    from {{ ref('int_prediction_features_unpivoted') }}
    {{ vigie.in_windows_to_rebuild() }}
),

deciles as (
    select
        decided.*,
        ntile(10) over (
            partition by window_date, model_name, model_version
            order by score, prediction_id
        ) as score_decile
    from decided
),

decile_sizes as (
    select
        window_date,
        model_name,
        model_version,
        sum(case when score_decile = 10 then 1 else 0 end) as n_top_decile,
        sum(case when score_decile = 1 then 1 else 0 end) as n_bottom_decile
    from deciles
    group by window_date, model_name, model_version
),

extremes as (
    select
        deciles.window_date,
        deciles.model_name,
        deciles.model_version,
        deciles.score_decile,
        features.feature_name,
        cast(features.value_numeric as {{ vigie.type_double() }}) as value_numeric,
        features.value_category
    from deciles
    inner join features on deciles.prediction_id = features.prediction_id
    where deciles.score_decile in (1, 10)
),

numeric_means as (
    select
        window_date,
        model_name,
        model_version,
        feature_name,
        count(value_numeric) as n_numeric_values,
        avg(case when score_decile = 10 then value_numeric end) as top_decile_mean,
        avg(case when score_decile = 1 then value_numeric end) as bottom_decile_mean
    from extremes
    group by window_date, model_name, model_version, feature_name
),

category_counts as (
    select
        window_date,
        model_name,
        model_version,
        feature_name,
        value_category,
        sum(case when score_decile = 10 then 1 else 0 end) as n_top,
        sum(case when score_decile = 1 then 1 else 0 end) as n_bottom
    from extremes
    where value_category is not null
    group by window_date, model_name, model_version, feature_name, value_category
),

top_categories as (
    select
        category_counts.*,
        row_number() over (
            partition by window_date, model_name, model_version, feature_name
            order by n_top desc, value_category
        ) as category_rank
    from category_counts
    where n_top > 0
),

final as (
    select
        numeric_means.window_date,
        numeric_means.model_name,
        numeric_means.model_version,
        numeric_means.feature_name,
        case when numeric_means.n_numeric_values > 0 then 'numeric' else 'categorical' end
            as feature_type,
        cast(decile_sizes.n_top_decile as {{ dbt.type_bigint() }}) as n_top_decile,
        cast(decile_sizes.n_bottom_decile as {{ dbt.type_bigint() }}) as n_bottom_decile,
        numeric_means.top_decile_mean,
        numeric_means.bottom_decile_mean,
        numeric_means.top_decile_mean - numeric_means.bottom_decile_mean as mean_difference,
        top_categories.value_category as top_decile_category,
        cast(top_categories.n_top as {{ vigie.type_double() }})
            / nullif(decile_sizes.n_top_decile, 0) as top_decile_category_share,
        cast(top_categories.n_bottom as {{ vigie.type_double() }})
            / nullif(decile_sizes.n_bottom_decile, 0) as bottom_decile_category_share,
        day_states.window_state
    from numeric_means
    inner join day_states
        on numeric_means.window_date = day_states.window_date
        and numeric_means.model_name = day_states.model_name
        and numeric_means.model_version = day_states.model_version
    inner join decile_sizes
        on numeric_means.window_date = decile_sizes.window_date
        and numeric_means.model_name = decile_sizes.model_name
        and numeric_means.model_version = decile_sizes.model_version
    left join top_categories
        on numeric_means.window_date = top_categories.window_date
        and numeric_means.model_name = top_categories.model_name
        and numeric_means.model_version = top_categories.model_version
        and numeric_means.feature_name = top_categories.feature_name
        and top_categories.category_rank = 1
)

select * from final
