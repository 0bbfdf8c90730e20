-- One JSON object with a value of every JSON type, unnested by json_object_entries: one row
-- per key with its type and text (cross_db/json_object_entries.sql).
with documents as (
    select 'd1' as document_id,
        {{ json_from_text("'{\"age\": 35, \"amount\": 928.0, \"sex\": \"female\", \"note\": null, "
                          ~ "\"flag\": true, \"nested\": {\"x\": 1}, \"list\": [1, 2]}'") }} as body
)

select
    documents.document_id,
    {{ json_entry_key('entry') }} as entry_key,
    {{ json_entry_type('entry') }} as entry_type,
    {{ json_entry_text('entry') }} as entry_text
from documents
{{ json_object_entries('documents.body', 'entry') }}
