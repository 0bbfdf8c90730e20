-- Mean |TreeSHAP| contribution of each feature of each model version (LightGBM
-- pred_contrib=True, written by the training step), its share of the version's total and
-- whether the feature is sensitive (seeds/feature_schema).
with contributions as (
    select * from {{ ref('stg_raw__feature_contributions') }}
),

feature_schema as (
    select model_name, feature_name, is_sensitive from {{ ref('feature_schema') }}
),

totals as (
    select
        model_name,
        model_version,
        sum(mean_abs_contribution) as total_contribution
    from contributions
    group by model_name, model_version
),

final as (
    select
        cast(contributions.model_name as {{ dbt.type_string() }}) as model_name,
        cast(contributions.model_version as {{ dbt.type_string() }}) as model_version,
        cast(contributions.feature_name as {{ dbt.type_string() }}) as feature_name,
        cast(contributions.mean_abs_contribution as {{ vigie.type_double() }})
            as mean_abs_contribution,
        cast(
            case
                when totals.total_contribution > 0
                    then contributions.mean_abs_contribution / totals.total_contribution
                else 0
            end as {{ vigie.type_double() }}
        ) as importance_share,
        coalesce(feature_schema.is_sensitive, false) as is_sensitive,
        cast(contributions.n_contribution_rows as {{ dbt.type_bigint() }})
            as n_contribution_rows,
        contributions.computed_at
    from contributions
    inner join totals
        on contributions.model_name = totals.model_name
        and contributions.model_version = totals.model_version
    left join feature_schema
        on contributions.model_name = feature_schema.model_name
        and contributions.feature_name = feature_schema.feature_name
)

select * from final
