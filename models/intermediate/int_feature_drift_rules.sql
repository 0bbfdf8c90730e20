-- The drift test of every schema feature of every model version with a reference sample:
-- seeds/feature_schema.csv's drift_test, with `auto` (or an empty cell) resolved by Evidently's
-- documented rule: up to auto_drift_max_reference_rows reference rows, KS for numeric and
-- integer features and chi-square for categorical ones (a two-category chi-square without
-- continuity correction is the square of Evidently's two-proportion Z-test: same p-value);
-- above it, the Wasserstein distance normalised by the reference std and the Jensen-Shannon
-- distance. One resolution, read by the Python drift step (int_drift_tests_required) and by
-- the verdict (marts.feature_drift).
with feature_schema as (
    select model_name, feature_name, feature_type, drift_test from {{ ref('feature_schema') }}
),

reference_versions as (
    select * from {{ ref('int_reference_versions') }}
),

thresholds as (
    select
        max(case when threshold_name = 'auto_drift_max_reference_rows' then threshold_value end)
            as auto_drift_max_reference_rows
    from {{ ref('thresholds') }}
),

resolved as (
    select
        reference_versions.model_name,
        reference_versions.model_version,
        feature_schema.feature_name,
        feature_schema.feature_type,
        reference_versions.n_reference_rows,
        case
            when coalesce(feature_schema.drift_test, 'auto') not in ('auto', '')
                then feature_schema.drift_test
            when reference_versions.n_reference_rows
                <= coalesce(thresholds.auto_drift_max_reference_rows, 1000)
                then case when feature_schema.feature_type = 'categorical'
                    then 'chi_square' else 'ks' end
            else case when feature_schema.feature_type = 'categorical'
                then 'jensenshannon' else 'wasserstein' end
        end as drift_test
    from reference_versions
    inner join feature_schema on reference_versions.model_name = feature_schema.model_name
    cross join thresholds
),

final as (
    select
        cast(model_name as {{ dbt.type_string() }}) as model_name,
        cast(model_version as {{ dbt.type_string() }}) as model_version,
        cast(feature_name as {{ dbt.type_string() }}) as feature_name,
        cast(feature_type as {{ dbt.type_string() }}) as feature_type,
        cast(n_reference_rows as {{ dbt.type_bigint() }}) as n_reference_rows,
        cast(drift_test as {{ dbt.type_string() }}) as drift_test,
        -- computed by the Python drift step into raw.drift_tests; the others are sums over
        -- marts.feature_distributions' bins, in SQL
        drift_test in ('ks', 'chi_square', 'wasserstein') as is_computed_in_python
    from resolved
)

select * from final
