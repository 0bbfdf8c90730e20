-- Every feature_schema row names a known drift test that fits its type: KS and Wasserstein
-- compare numbers, chi-square compares categories; PSI, Jensen-Shannon and Hellinger use the
-- bins of either kind; auto or an empty cell picks by the reference's size. A row returned is
-- a seed a build would otherwise monitor with no test or the wrong one.
select model_name, feature_name, feature_type, drift_test
from {{ ref('feature_schema') }}
where not (
    coalesce(drift_test, '') in ('', 'auto', 'psi', 'jensenshannon', 'hellinger')
    or (drift_test in ('ks', 'wasserstein') and feature_type in ('numeric', 'integer'))
    or (drift_test = 'chi_square' and feature_type = 'categorical')
)
