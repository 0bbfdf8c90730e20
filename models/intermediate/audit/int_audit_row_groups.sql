-- One row per audit row × sensitive attribute of the audit's model (seeds/feature_schema.csv
-- is_sensitive), with the group its value falls in (seeds/sensitive_groups.csv: numeric bands
-- [lower_bound, upper_bound), categories by value; 'unknown' when the value is missing or in
-- no band, so no row is dropped) and its label: labelled when its outcome is one of the model's
-- outcomes (seeds/outcomes.csv), unfavourable when that outcome is not the favourable one.
with audits as (
    select * from {{ ref('stg_raw__audits') }}
),

audit_rows as (
    select * from {{ ref('stg_raw__audit_rows') }}
),

audit_values as (
    select * from {{ ref('int_audit_values') }}
),

attributes as (
    select audits.audit_id, audits.model_name, feature_schema.feature_name as attribute
    from audits
    inner join {{ ref('feature_schema') }} as feature_schema
        on audits.model_name = feature_schema.model_name
    where feature_schema.is_sensitive
),

bands as (
    select attribute, group_name, lower_bound, upper_bound, category_value
    from {{ ref('sensitive_groups') }}
),

outcomes as (
    select model_name, value as outcome, is_favorable
    from {{ ref('outcomes') }}
    where value_kind = 'outcome'
),

row_attributes as (
    select
        audit_rows.audit_id,
        audit_rows.dataset,
        audit_rows.audit_row_id,
        audit_rows.outcome,
        attributes.model_name,
        attributes.attribute
    from audit_rows
    inner join attributes on audit_rows.audit_id = attributes.audit_id
),

valued as (
    select
        row_attributes.*,
        audit_values.value_text,
        audit_values.value_numeric
    from row_attributes
    left join audit_values
        on row_attributes.audit_id = audit_values.audit_id
        and row_attributes.dataset = audit_values.dataset
        and row_attributes.audit_row_id = audit_values.audit_row_id
        and row_attributes.attribute = audit_values.column_name
),

banded as (
    select
        valued.*,
        bands.group_name,
        -- overlapping bands are a seed error (tests/dbt): keep the first by name, never two
        row_number() over (
            partition by valued.audit_id, valued.dataset, valued.audit_row_id, valued.attribute
            order by bands.group_name
        ) as band_rank
    from valued
    left join bands
        on valued.attribute = bands.attribute
        and {{ vigie.value_in_band('valued.value_text', 'valued.value_numeric') }}
),

final as (
    select
        banded.audit_id,
        banded.dataset,
        banded.audit_row_id,
        banded.attribute,
        coalesce(banded.group_name, 'unknown') as group_name,
        outcomes.outcome is not null as is_labeled,
        coalesce(not outcomes.is_favorable, false) as is_unfavorable_outcome
    from banded
    left join outcomes
        on banded.model_name = outcomes.model_name
        and banded.outcome = outcomes.outcome
    where banded.band_rank = 1
)

select * from final
