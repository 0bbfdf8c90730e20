-- Values the engines must compute alike, each with the one it must equal (worked out in
-- Python): md5_integer (the first 8 hex digits of md5; 'abc' 90015098, '373' ffd52f3c above
-- 2^31, '168' 006f52e9 with leading zeros), percentile_cont over 1, 2, 4, 10 (numpy.quantile:
-- 1.75, 3.0, 9.1) and the text of dbt.generate_series' numbers ('1', not '1.0', which the
-- bootstrap hashes).
with hashed as (
    select 'md5_integer(abc)' as check_name,
        cast({{ md5_integer("'abc'") }} as {{ type_double() }}) as actual_number,
        cast(2416005272 as {{ type_double() }}) as expected_number
    union all
    select 'md5_integer(373)',
        cast({{ md5_integer("'373'") }} as {{ type_double() }}), cast(4292161340 as {{ type_double() }})
    union all
    select 'md5_integer(168)',
        cast({{ md5_integer("'168'") }} as {{ type_double() }}), cast(7295721 as {{ type_double() }})
),

measured as (
    select cast(measurement as {{ type_double() }}) as measurement
    from (select 1 as measurement union all select 2 union all select 4 union all select 10) as raw_values
),

quantiles as (
    select
        {{ percentile_cont('measurement', 0.25) }} as p25,
        {{ percentile_cont('measurement', 0.5) }} as p50,
        {{ percentile_cont('measurement', 0.95) }} as p95
    from measured
),

series as (
    select {{ dbt.listagg("cast(generated_number as " ~ dbt.type_string() ~ ")", "','") }}
        as numbers_text
    from ({{ dbt.generate_series(3) }}) as generated
    where generated_number = 2
)

select check_name, actual_number, expected_number, cast(null as {{ dbt.type_string() }}) as actual_text,
    cast(null as {{ dbt.type_string() }}) as expected_text
from hashed
union all
select 'percentile_cont(0.25)', p25, cast(1.75 as {{ type_double() }}), null, null from quantiles
union all
select 'percentile_cont(0.5)', p50, cast(3 as {{ type_double() }}), null, null from quantiles
union all
select 'percentile_cont(0.95)', p95, cast(9.1 as {{ type_double() }}), null, null from quantiles
union all
select 'generate_series text', null, null, numbers_text, '2' from series
