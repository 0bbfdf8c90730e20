-- One row per model of seeds/feature_schema.csv with a hash of its schema rows, so the
-- incremental monitoring models rebuild the days computed under another schema: an edit of
-- the schema changes past days' conformance and distributions at the next build.
with feature_schema as (
    select * from {{ ref('feature_schema') }}
),

entries as (
    select
        model_name,
        feature_name,
        {{ vigie.feature_schema_entry() }} as entry
    from feature_schema
),

final as (
    select
        cast(model_name as {{ dbt.type_string() }}) as model_name,
        cast({{ dbt.hash(vigie.ordered_listagg('entry', "';'", 'order by feature_name')) }}
            as {{ dbt.type_string() }}) as schema_hash
    from entries
    group by model_name
)

select * from final
