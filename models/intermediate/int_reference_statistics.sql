{{ config(materialized='table') }}
-- Reference statistics per model × version × schema feature, from that version's reference
-- sample: n, null rate, mean, sample standard deviation (n - 1, numpy ddof=1), min, max, the
-- summary quantiles and the PSI edges (reference deciles 0.1 .. 0.9, linear interpolation),
-- deduplicated and ascending in psi_edge_1 .. psi_edge_9 (null-padded).
{%- set edge_fractions = vigie.psi_edge_fractions() %}
with reference_values as (
    select * from {{ ref('int_reference_values_typed') }}
),

summarised as (
    select
        model_name,
        model_version,
        feature_name,
        feature_type,
        count(*) as n_reference,
        count(value_numeric) + count(value_category) as n_reference_values,
        avg(value_numeric) as reference_mean,
        {{ vigie.stddev_samp('value_numeric') }} as reference_std,
        min(value_numeric) as reference_min,
        max(value_numeric) as reference_max,
        {{ vigie.summary_quantile_aggregates('value_numeric', 'reference') }},
        {%- for fraction in edge_fractions %}
        {{ vigie.percentile_cont('value_numeric', fraction) }} as decile_{{ loop.index }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from reference_values
    group by model_name, model_version, feature_name, feature_type
),

edge_positions as (
    {%- for fraction in edge_fractions %}
    select {{ loop.index }} as edge_position
    {%- if not loop.last %} union all{% endif %}
    {%- endfor %}
),

edges_long as (
    select distinct
        summarised.model_name,
        summarised.model_version,
        summarised.feature_name,
        case edge_positions.edge_position
            {%- for fraction in edge_fractions %}
            when {{ loop.index }} then summarised.decile_{{ loop.index }}
            {%- endfor %}
        end as edge_value
    from summarised
    cross join edge_positions
    where summarised.feature_type in ('numeric', 'integer')
),

edges_ranked as (
    select
        model_name,
        model_version,
        feature_name,
        edge_value,
        row_number() over (
            partition by model_name, model_version, feature_name order by edge_value
        ) as edge_rank
    from edges_long
    where edge_value is not null
),

edges_wide as (
    select
        model_name,
        model_version,
        feature_name,
        count(*) as n_psi_edges,
        {%- for fraction in edge_fractions %}
        max(case when edge_rank = {{ loop.index }} then edge_value end) as psi_edge_{{ loop.index }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from edges_ranked
    group by model_name, model_version, feature_name
),

final as (
    select
        summarised.model_name,
        summarised.model_version,
        summarised.feature_name,
        summarised.feature_type,
        summarised.n_reference,
        summarised.n_reference_values,
        cast(summarised.n_reference - summarised.n_reference_values as {{ vigie.type_double() }})
            / summarised.n_reference as null_rate_reference,
        summarised.reference_mean,
        summarised.reference_std,
        summarised.reference_min,
        summarised.reference_max,
        {%- for suffix, fraction in vigie.summary_quantiles() %}
        summarised.reference_{{ suffix }},
        {%- endfor %}
        case when edges_wide.n_psi_edges is not null then edges_wide.n_psi_edges + 1 end
            as n_psi_bins,
        {%- for fraction in edge_fractions %}
        edges_wide.psi_edge_{{ loop.index }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from summarised
    left join edges_wide
        on summarised.model_name = edges_wide.model_name
        and summarised.model_version = edges_wide.model_version
        and summarised.feature_name = edges_wide.feature_name
)

select * from final
