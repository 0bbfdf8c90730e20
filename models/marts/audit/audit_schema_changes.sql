-- Schema differences between an audit's two datasets, one row per audit × column present in
-- either: its type on each side, and the change: gone, new, type_changed (both sides have
-- values, of different types), renamed (a gone column and a new one of the same type whose
-- values match in distribution: the KS statistic or Cramér's V of raw.audit_tests below
-- audit_rename_max_effect_size, each the other's closest match) or unchanged.
with audit_columns as (
    select * from {{ ref('int_audit_columns') }}
),

audit_tests as (
    select * from {{ ref('stg_raw__audit_tests') }}
),

thresholds as (
    select {{ vigie.audit_threshold_columns() }}
    from {{ ref('thresholds') }}
),

baseline as (
    select * from audit_columns where dataset = 'baseline'
),

candidate as (
    select * from audit_columns where dataset = 'candidate'
),

all_columns as (
    select audit_id, column_name from baseline
    union
    select audit_id, column_name from candidate
),

compared as (
    select
        all_columns.audit_id,
        all_columns.column_name,
        baseline.column_type as baseline_type,
        candidate.column_type as candidate_type,
        baseline.column_name is not null as is_in_baseline,
        candidate.column_name is not null as is_in_candidate
    from all_columns
    left join baseline
        on all_columns.audit_id = baseline.audit_id
        and all_columns.column_name = baseline.column_name
    left join candidate
        on all_columns.audit_id = candidate.audit_id
        and all_columns.column_name = candidate.column_name
),

rename_pairs as (
    select
        gone.audit_id,
        gone.column_name as gone_column,
        new.column_name as new_column,
        audit_tests.effect_size
    from compared as gone
    inner join compared as new
        on gone.audit_id = new.audit_id
        and gone.baseline_type = new.candidate_type
    inner join audit_tests
        on gone.audit_id = audit_tests.audit_id
        and gone.column_name = audit_tests.baseline_column
        and new.column_name = audit_tests.candidate_column
        and audit_tests.test_name = case gone.baseline_type
            when 'number' then 'ks' when 'string' then 'chi_square' end
    cross join thresholds
    where gone.is_in_baseline and not gone.is_in_candidate
        and new.is_in_candidate and not new.is_in_baseline
        and audit_tests.effect_size < thresholds.audit_rename_max_effect_size
),

ranked_pairs as (
    select
        rename_pairs.*,
        row_number() over (
            partition by audit_id, gone_column order by effect_size, new_column
        ) as rank_for_gone,
        row_number() over (
            partition by audit_id, new_column order by effect_size, gone_column
        ) as rank_for_new
    from rename_pairs
),

renames as (
    select * from ranked_pairs where rank_for_gone = 1 and rank_for_new = 1
),

final as (
    select
        cast(compared.audit_id as {{ dbt.type_string() }}) as audit_id,
        cast(compared.column_name as {{ dbt.type_string() }}) as column_name,
        compared.is_in_baseline,
        compared.is_in_candidate,
        cast(compared.baseline_type as {{ dbt.type_string() }}) as baseline_type,
        cast(compared.candidate_type as {{ dbt.type_string() }}) as candidate_type,
        cast(case
            when renamed_to.new_column is not null or renamed_from.gone_column is not null
                then 'renamed'
            when not compared.is_in_candidate then 'gone'
            when not compared.is_in_baseline then 'new'
            when compared.baseline_type <> compared.candidate_type
                and compared.baseline_type <> 'empty' and compared.candidate_type <> 'empty'
                then 'type_changed'
            else 'unchanged'
        end as {{ dbt.type_string() }}) as schema_change,
        cast(renamed_to.new_column as {{ dbt.type_string() }}) as renamed_to,
        cast(renamed_from.gone_column as {{ dbt.type_string() }}) as renamed_from,
        cast(coalesce(renamed_to.effect_size, renamed_from.effect_size)
            as {{ vigie.type_double() }}) as rename_effect_size
    from compared
    left join renames as renamed_to
        on compared.audit_id = renamed_to.audit_id
        and compared.column_name = renamed_to.gone_column
    left join renames as renamed_from
        on compared.audit_id = renamed_from.audit_id
        and compared.column_name = renamed_from.new_column
)

select * from final
