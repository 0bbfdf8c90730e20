-- a seed's text loads as written: an apostrophe and a backslash kept, an empty cell null
select *
from {{ ref('seed_literals') }}
where not (
    (literal_id = 1 and text_value is not null and text_value = 'Cramer' || chr(39) || 's V')
    or (literal_id = 2 and text_value is not null and text_value = 'back' || chr(92) || 'slash')
    or (literal_id = 3 and text_value is null)
)
