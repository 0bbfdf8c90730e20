{{ config(materialized='table') }}
-- The PSI bins of each model × version × schema feature with the reference sample's count and
-- proportion in each. Numeric and integer features: bins 1 .. n_psi_bins cut at the
-- deduplicated reference deciles, right-closed ((lower_bound, upper_bound], open at both
-- ends), proportions over the non-null reference values. Categorical features: one bin per
-- category seen in the reference, null as '__null__', proportions over all reference rows
-- (these are the reference category frequencies).
{%- set edge_columns = [] %}
{%- for fraction in vigie.psi_edge_fractions() %}
    {%- do edge_columns.append('statistics.psi_edge_' ~ loop.index) %}
{%- endfor %}
with reference_values as (
    select * from {{ ref('int_reference_values_typed') }}
),

statistics as (
    select * from {{ ref('int_reference_statistics') }}
),

bin_positions as (
    {%- for position in range(1, edge_columns | length + 2) %}
    select {{ position }} as bin_index
    {%- if not loop.last %} union all{% endif %}
    {%- endfor %}
),

numeric_bins as (
    select
        statistics.model_name,
        statistics.model_version,
        statistics.feature_name,
        statistics.feature_type,
        bin_positions.bin_index,
        case bin_positions.bin_index
            {%- for edge in edge_columns %}
            when {{ loop.index + 1 }} then {{ edge }}
            {%- endfor %}
        end as lower_bound,
        case bin_positions.bin_index
            {%- for edge in edge_columns %}
            when {{ loop.index }} then {{ edge }}
            {%- endfor %}
        end as upper_bound,
        statistics.n_reference_values as n_bin_total
    from statistics
    inner join bin_positions on bin_positions.bin_index <= statistics.n_psi_bins
),

numeric_counts as (
    select
        reference_values.model_name,
        reference_values.model_version,
        reference_values.feature_name,
        {{ vigie.psi_bin_index('reference_values.value_numeric', edge_columns) }} as bin_index,
        count(*) as n_reference
    from reference_values
    inner join statistics
        on reference_values.model_name = statistics.model_name
        and reference_values.model_version = statistics.model_version
        and reference_values.feature_name = statistics.feature_name
    where reference_values.value_numeric is not null
    group by
        reference_values.model_name,
        reference_values.model_version,
        reference_values.feature_name,
        {{ vigie.psi_bin_index('reference_values.value_numeric', edge_columns) }}
),

numeric_final as (
    select
        numeric_bins.model_name,
        numeric_bins.model_version,
        numeric_bins.feature_name,
        numeric_bins.feature_type,
        numeric_bins.bin_index,
        cast(null as {{ dbt.type_string() }}) as category_value,
        numeric_bins.lower_bound,
        numeric_bins.upper_bound,
        coalesce(numeric_counts.n_reference, 0) as n_reference,
        numeric_bins.n_bin_total
    from numeric_bins
    left join numeric_counts
        on numeric_bins.model_name = numeric_counts.model_name
        and numeric_bins.model_version = numeric_counts.model_version
        and numeric_bins.feature_name = numeric_counts.feature_name
        and numeric_bins.bin_index = numeric_counts.bin_index
),

categorical_counts as (
    select
        model_name,
        model_version,
        feature_name,
        feature_type,
        coalesce(value_category, {{ vigie.psi_null_category() }}) as category_value,
        count(*) as n_reference
    from reference_values
    where feature_type = 'categorical'
    group by
        model_name,
        model_version,
        feature_name,
        feature_type,
        coalesce(value_category, {{ vigie.psi_null_category() }})
),

categorical_final as (
    select
        model_name,
        model_version,
        feature_name,
        feature_type,
        cast(null as {{ dbt.type_int() }}) as bin_index,
        category_value,
        cast(null as {{ vigie.type_double() }}) as lower_bound,
        cast(null as {{ vigie.type_double() }}) as upper_bound,
        n_reference,
        sum(n_reference) over (partition by model_name, model_version, feature_name)
            as n_bin_total
    from categorical_counts
),

unioned as (
    select * from numeric_final
    union all
    select * from categorical_final
),

final as (
    select
        model_name,
        model_version,
        feature_name,
        feature_type,
        bin_index,
        category_value,
        lower_bound,
        upper_bound,
        cast(n_reference as {{ dbt.type_bigint() }}) as n_reference,
        case
            when n_bin_total > 0
                then cast(n_reference as {{ vigie.type_double() }}) / n_bin_total
        end as reference_proportion
    from unioned
)

select * from final
