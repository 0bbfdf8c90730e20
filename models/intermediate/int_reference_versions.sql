{{ config(materialized='table') }}
-- One row per model × version with a reference sample: a hash of its rows (row, feature,
-- value), so every drift number can name the reference it was computed against and a changed
-- reference (a new `vigie ingest reference`) makes that version's days be computed again.
with reference_sample as (
    select * from {{ ref('stg_raw__reference_sample') }}
),

entries as (
    select
        model_name,
        model_version,
        reference_row_id,
        feature_name,
        {{ dbt.concat(["reference_row_id", "'='", "feature_name", "'='",
                       "coalesce(value_text, '<null>')"]) }} as entry
    from reference_sample
),

final as (
    select
        cast(model_name as {{ dbt.type_string() }}) as model_name,
        cast(model_version as {{ dbt.type_string() }}) as model_version,
        cast(count(distinct reference_row_id) as {{ dbt.type_bigint() }}) as n_reference_rows,
        cast({{ dbt.hash(vigie.ordered_listagg('entry', "';'", 'order by reference_row_id, feature_name')) }}
            as {{ dbt.type_string() }}) as reference_hash
    from entries
    group by model_name, model_version
)

select * from final
