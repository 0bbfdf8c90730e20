-- The drift tests computed in Python that this build's marts need (KS, chi-square or
-- Wasserstein, as int_feature_drift_rules resolves each feature's drift_test): one row per
-- day × model × version with a reference sample × such feature, keyed by the reference it must
-- be computed against and the day's prediction count. The Python drift step
-- computes the rows raw.drift_tests does not hold yet with the same key: new days, days that
-- received late rows (another count) and every day of a version whose reference changed.
with snapshot as (
    select * from {{ ref('int_monitoring_snapshot') }}
),

reference_versions as (
    select * from {{ ref('int_reference_versions') }}
),

rules as (
    select * from {{ ref('int_feature_drift_rules') }}
    where is_computed_in_python
),

final as (
    select
        snapshot.window_date,
        snapshot.model_name,
        snapshot.model_version,
        rules.feature_name,
        rules.feature_type,
        rules.drift_test as test_name,
        reference_versions.reference_hash,
        snapshot.n_predictions
    from snapshot
    inner join reference_versions
        on snapshot.model_name = reference_versions.model_name
        and snapshot.model_version = reference_versions.model_version
    inner join rules
        on snapshot.model_name = rules.model_name
        and snapshot.model_version = rules.model_version
)

select * from final
