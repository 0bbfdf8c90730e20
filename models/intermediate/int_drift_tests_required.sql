-- The KS (numeric, integer) and chi-square (categorical) tests this build's marts need: one
-- row per day × model × version with a reference sample × schema feature, keyed by the
-- reference it must be computed against and the day's prediction count. The Python drift step
-- computes the rows raw.drift_tests does not hold yet with the same key: new days, days that
-- received late rows (another count) and every day of a version whose reference changed.
with snapshot as (
    select * from {{ ref('int_monitoring_snapshot') }}
),

reference_versions as (
    select * from {{ ref('int_reference_versions') }}
),

feature_schema as (
    select model_name, feature_name, feature_type from {{ ref('feature_schema') }}
),

final as (
    select
        snapshot.window_date,
        snapshot.model_name,
        snapshot.model_version,
        feature_schema.feature_name,
        feature_schema.feature_type,
        cast(case when feature_schema.feature_type = 'categorical' then 'chi_square' else 'ks' end
            as {{ dbt.type_string() }}) as test_name,
        reference_versions.reference_hash,
        snapshot.n_predictions
    from snapshot
    inner join reference_versions
        on snapshot.model_name = reference_versions.model_name
        and snapshot.model_version = reference_versions.model_version
    inner join feature_schema on snapshot.model_name = feature_schema.model_name
)

select * from final
