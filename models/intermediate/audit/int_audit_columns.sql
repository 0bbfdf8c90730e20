-- One row per audit × dataset × column present in at least one of its rows: how many rows the
-- dataset has, how many carry the column with a value of each JSON type, how many lack a value
-- (key absent or JSON null), the column's type over the dataset (vigie.audit_column_type) and
-- the mean of its numbers.
with audit_rows as (
    select * from {{ ref('stg_raw__audit_rows') }}
),

audit_values as (
    select * from {{ ref('int_audit_values') }}
),

dataset_sizes as (
    select audit_id, dataset, count(*) as n_rows
    from audit_rows
    group by audit_id, dataset
),

column_counts as (
    select
        audit_id,
        dataset,
        column_name,
        sum(case when json_type = 'number' then 1 else 0 end) as n_number,
        sum(case when json_type = 'string' then 1 else 0 end) as n_string,
        sum(case when json_type = 'boolean' then 1 else 0 end) as n_boolean,
        sum(case when json_type in ('object', 'array') then 1 else 0 end) as n_other,
        avg(value_numeric) as mean_value
    from audit_values
    group by audit_id, dataset, column_name
),

final as (
    select
        column_counts.audit_id,
        column_counts.dataset,
        column_counts.column_name,
        dataset_sizes.n_rows,
        column_counts.n_number + column_counts.n_string + column_counts.n_boolean
            + column_counts.n_other as n_values,
        dataset_sizes.n_rows - (column_counts.n_number + column_counts.n_string
            + column_counts.n_boolean + column_counts.n_other) as n_null,
        column_counts.n_number,
        column_counts.n_string,
        column_counts.n_boolean,
        column_counts.n_other,
        {{ vigie.audit_column_type('column_counts.n_number', 'column_counts.n_string',
                                   'column_counts.n_boolean', 'column_counts.n_other') }}
            as column_type,
        column_counts.mean_value
    from column_counts
    inner join dataset_sizes
        on column_counts.audit_id = dataset_sizes.audit_id
        and column_counts.dataset = dataset_sizes.dataset
)

select * from final
