-- Values of two groups joined by ordered_listagg in the order of two keys, the second breaking
-- the first's tie, neither the rows' order nor the values' alphabetical one: group a lists
-- 'one, two, three' (its null value left out); group b holds only a null, so null.
with rows_to_list as (
    select 'a' as group_key, 2 as first_key, 'y' as second_key, 'three' as listed union all
    select 'a', 1, 'z', 'one' union all
    select 'a', 3, 'a', cast(null as {{ dbt.type_string() }}) union all
    select 'a', 2, 'x', 'two' union all
    select 'b', 1, 'a', cast(null as {{ dbt.type_string() }})
)

select
    group_key,
    {{ ordered_listagg('listed', "', '", 'order by first_key, second_key') }} as listed_values
from rows_to_list
group by group_key
