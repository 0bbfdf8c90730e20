-- Every monotone declaration of feature_schema is increasing or decreasing, on a number feature
select model_name, feature_name, feature_type, monotone
from {{ ref('feature_schema') }}
where coalesce(monotone, '') <> ''
    and (monotone not in ('increasing', 'decreasing')
         or feature_type not in ('numeric', 'integer'))
