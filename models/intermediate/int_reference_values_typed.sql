-- One row per reference (training) row × schema feature of its model, the value typed by the
-- feature's schema type: value_numeric for numeric/integer features, value_category for
-- categorical ones. A feature the row does not carry is null, like a logged JSON null.
with reference_sample as (
    select * from {{ ref('stg_raw__reference_sample') }}
),

feature_schema as (
    select model_name, feature_name, feature_type from {{ ref('feature_schema') }}
),

reference_rows as (
    select distinct model_name, model_version, reference_row_id
    from reference_sample
),

grid as (
    select
        reference_rows.model_name,
        reference_rows.model_version,
        reference_rows.reference_row_id,
        feature_schema.feature_name,
        feature_schema.feature_type
    from reference_rows
    inner join feature_schema on reference_rows.model_name = feature_schema.model_name
),

final as (
    select
        grid.model_name,
        grid.model_version,
        grid.reference_row_id,
        grid.feature_name,
        grid.feature_type,
        case
            when grid.feature_type in ('numeric', 'integer')
                then cast(reference_sample.value_text as {{ vigie.type_double() }})
        end as value_numeric,
        case
            when grid.feature_type = 'categorical' then reference_sample.value_text
        end as value_category
    from grid
    left join reference_sample
        on grid.model_name = reference_sample.model_name
        and grid.model_version = reference_sample.model_version
        and grid.reference_row_id = reference_sample.reference_row_id
        and grid.feature_name = reference_sample.feature_name
)

select * from final
