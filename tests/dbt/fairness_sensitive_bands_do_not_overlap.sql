-- no two numeric bands of one sensitive attribute overlap, and no category is listed twice
-- (seeds/sensitive_groups), so every value falls in at most one group
with bands as (
    select * from {{ ref('sensitive_groups') }}
),

overlapping as (
    select first_band.attribute, first_band.group_name, second_band.group_name as other_group
    from bands as first_band
    inner join bands as second_band
        on first_band.attribute = second_band.attribute
        and first_band.group_name < second_band.group_name
    where
        (
            first_band.category_value is null and second_band.category_value is null
            and coalesce(first_band.lower_bound, -1e308) < coalesce(second_band.upper_bound, 1e308)
            and coalesce(second_band.lower_bound, -1e308) < coalesce(first_band.upper_bound, 1e308)
        )
        or first_band.category_value = second_band.category_value
)

select * from overlapping
