-- json_object_entries gives each key of the object once, with its JSON type, and the text of
-- every scalar (no quotes for a string, null for JSON null, a float's digits as written)
with expected as (
    select 'age' as entry_key, 'number' as entry_type, '35' as entry_text union all
    select 'amount', 'number', '928.0' union all
    select 'sex', 'string', 'female' union all
    select 'note', 'null', cast(null as {{ dbt.type_string() }}) union all
    select 'flag', 'boolean', 'true' union all
    select 'nested', 'object', cast(null as {{ dbt.type_string() }}) union all
    select 'list', 'array', cast(null as {{ dbt.type_string() }})
),

compared as (
    select
        coalesce(expected.entry_key, actual.entry_key) as entry_key,
        expected.entry_type as expected_type,
        actual.entry_type as actual_type,
        expected.entry_text as expected_text,
        actual.entry_text as actual_text
    from expected
    full outer join {{ ref('json_entries') }} as actual
        on expected.entry_key = actual.entry_key
)

select *
from compared
where expected_type is null
    or actual_type is null
    or expected_type <> actual_type
    -- objects and arrays: their JSON text is spaced differently by each engine
    or (expected_type not in ('object', 'array')
        and {{ differs_as_text('expected_text', 'actual_text') }})
