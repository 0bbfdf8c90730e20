{{ config(materialized='table') }}

-- One row per audit row × key of its JSON object, with the value's JSON type and text, and
-- its number when it is one. A table: the audit's column profile, groups and tests read it.
with audit_rows as (
    select * from {{ ref('stg_raw__audit_rows') }}
),

unpivoted as (
    select
        audit_rows.audit_id,
        audit_rows.dataset,
        audit_rows.audit_row_id,
        {{ vigie.json_entry_key('entry') }} as column_name,
        {{ vigie.json_entry_type('entry') }} as json_type,
        {{ vigie.json_entry_text('entry') }} as value_text
    from audit_rows
    {{ vigie.json_object_entries('audit_rows.features', 'entry') }}
),

final as (
    select
        audit_id,
        dataset,
        audit_row_id,
        column_name,
        json_type,
        value_text,
        case when json_type = 'number' then cast(value_text as {{ vigie.type_double() }}) end
            as value_numeric
    from unpivoted
)

select * from final
