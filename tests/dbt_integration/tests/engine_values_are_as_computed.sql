-- md5_integer, percentile_cont and generate_series give the values worked out in Python
-- (models/engine_values.sql) on every engine
select *
from {{ ref('engine_values') }}
where (expected_number is not null
       and (actual_number is null or abs(actual_number - expected_number) > 1e-9))
    or (expected_text is not null
        and (actual_text is null or actual_text <> expected_text))
