-- ordered_listagg joins the non-null values in the order of its keys and gives null for none
select *
from {{ ref('listed_values') }}
where not (
    (group_key = 'a' and listed_values is not null and listed_values = 'one, two, three')
    or (group_key = 'b' and listed_values is null)
)
