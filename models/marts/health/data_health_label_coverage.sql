{{ config(materialized='table') }}
-- Label coverage by sensitive group: per day × model × attribute × group, the share of the
-- predictions that have a label. Labels arrive mostly for the approved, so a group approved
-- less is labelled less, and every labelled fairness number (equalized odds, realized
-- performance by group) stands on a sample that under-counts it. A group is judged only with
-- min_group_size predictions; its coverage is compared with the best-covered judged group of
-- the same attribute that day, and it is under-covered when below label_coverage_ratio_min of
-- it with a two-proportion z statistic (pooled) of label_coverage_min_z or more: a group of a
-- day holds tens of predictions, and without the test chance alone would flag most days.
-- 'unknown' (no value, or no band) is not a group.
with groups as (
    select window_date, model_name, attribute, group_name, is_favorable_outcome
    from {{ ref('int_prediction_groups') }}
    where group_name <> 'unknown'
),

thresholds as (
    select
        max(case when threshold_name = 'min_group_size' then threshold_value end)
            as min_group_size,
        max(case when threshold_name = 'label_coverage_ratio_min' then threshold_value end)
            as coverage_ratio_min,
        max(case when threshold_name = 'label_coverage_min_z' then threshold_value end)
            as min_z
    from {{ ref('thresholds') }}
),

counted as (
    select
        window_date,
        model_name,
        attribute,
        group_name,
        count(*) as n_predictions,
        -- a label whose outcome is in seeds/outcomes.csv (int_labels_latest)
        sum(case when is_favorable_outcome is not null then 1 else 0 end) as n_labelled
    from groups
    group by window_date, model_name, attribute, group_name
),

judged as (
    select
        counted.*,
        cast(counted.n_labelled as {{ vigie.type_double() }}) / counted.n_predictions
            as label_coverage,
        counted.n_predictions >= thresholds.min_group_size as is_assessable,
        thresholds.coverage_ratio_min,
        thresholds.min_z
    from counted
    cross join thresholds
),

ranked as (
    select
        judged.*,
        row_number() over (
            partition by window_date, model_name, attribute
            order by label_coverage desc, group_name
        ) as coverage_rank
    from judged
    where is_assessable
),

best as (
    select
        window_date, model_name, attribute,
        label_coverage as best_coverage,
        n_predictions as best_n_predictions,
        n_labelled as best_n_labelled
    from ranked
    where coverage_rank = 1
),

pooled as (
    select
        judged.*,
        best.best_coverage,
        best.best_n_predictions,
        cast(judged.n_labelled + best.best_n_labelled as {{ vigie.type_double() }})
            / (judged.n_predictions + best.best_n_predictions) as pooled_coverage
    from judged
    left join best
        on judged.window_date = best.window_date
        and judged.model_name = best.model_name
        and judged.attribute = best.attribute
),

compared as (
    select
        pooled.*,
        -- the pooled two-proportion z of the best group's coverage over this group's
        (best_coverage - label_coverage) / nullif(sqrt(
            pooled_coverage * (1 - pooled_coverage)
            * (1.0 / n_predictions + 1.0 / best_n_predictions)), 0) as gap_z
    from pooled
),

final as (
    select
        window_date,
        cast(model_name as {{ dbt.type_string() }}) as model_name,
        cast(attribute as {{ dbt.type_string() }}) as attribute,
        cast(group_name as {{ dbt.type_string() }}) as group_name,
        cast(n_predictions as {{ dbt.type_bigint() }}) as n_predictions,
        cast(n_labelled as {{ dbt.type_bigint() }}) as n_labelled,
        cast(label_coverage as {{ vigie.type_double() }}) as label_coverage,
        is_assessable,
        -- null when the group is too small or no judged group has a label yet
        cast(case when is_assessable and best_coverage > 0
                  then label_coverage / best_coverage end
             as {{ vigie.type_double() }}) as coverage_ratio_to_best,
        cast(case when is_assessable and best_coverage > 0 then gap_z end
             as {{ vigie.type_double() }}) as coverage_gap_z,
        cast(coverage_ratio_min as {{ vigie.type_double() }}) as coverage_ratio_min,
        case when is_assessable and best_coverage > 0
             then label_coverage / best_coverage < coverage_ratio_min
                  and coalesce(gap_z >= min_z, false)
        end as is_under_covered
    from compared
)

select * from final
