{#- ROC AUC per partition of `relation` (a relation or CTE name), rank-based (Mann–Whitney U)
    with average ranks for tied scores, equal to sklearn.metrics.roc_auc_score:
        AUC = (sum of the positives' average ranks − n_pos (n_pos + 1) / 2) / (n_pos × n_neg).
    `label_column` is 1 for the positive class and 0 for the negative; rows with a null score or
    label are left out. Returns the `partition_by` columns, n_positive, n_negative and roc_auc,
    which is null (not an error) when a partition holds a single class. -#}
{% macro roc_auc_from(relation, partition_by, score_column='score', label_column='is_positive') %}
    {{ return(adapter.dispatch('roc_auc_from', 'vigie')(relation, partition_by, score_column,
                                                        label_column)) }}
{% endmacro %}

{% macro default__roc_auc_from(relation, partition_by, score_column, label_column) %}
    {%- if partition_by is string or partition_by is not sequence or partition_by | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "roc_auc_from: argument `partition_by` must be a non-empty list of columns, got "
            ~ partition_by) }}
    {%- endif -%}
    {%- if not score_column or not label_column -%}
        {{ exceptions.raise_compiler_error(
            "roc_auc_from: arguments `score_column` and `label_column` are required") }}
    {%- endif -%}
    {%- set double = vigie.type_double() -%}
    {%- set partition = partition_by | join(', ') -%}
    {%- set n_pos = "cast(sum(case when " ~ label_column ~ " = 1 then 1 else 0 end) as " ~ double ~ ")" -%}
    {%- set n_neg = "cast(sum(case when " ~ label_column ~ " = 0 then 1 else 0 end) as " ~ double ~ ")" -%}
    select
        {{ partition }},
        cast(sum(case when {{ label_column }} = 1 then 1 else 0 end) as {{ dbt.type_bigint() }})
            as n_positive,
        cast(sum(case when {{ label_column }} = 0 then 1 else 0 end) as {{ dbt.type_bigint() }})
            as n_negative,
        case
            when {{ n_pos }} > 0 and {{ n_neg }} > 0 then
                (sum(case when {{ label_column }} = 1 then average_rank else 0 end)
                    - {{ n_pos }} * ({{ n_pos }} + 1) / 2)
                / ({{ n_pos }} * {{ n_neg }})
        end as roc_auc
    from (
        select
            {{ partition }},
            {{ label_column }},
            -- tied scores share the mean of the ranks they span
            cast(rank() over (partition by {{ partition }} order by {{ score_column }})
                as {{ double }})
            + cast(count(*) over (partition by {{ partition }}, {{ score_column }}) - 1
                as {{ double }}) / 2 as average_rank
        from {{ relation }}
        where {{ score_column }} is not null and {{ label_column }} in (0, 1)
    ) as ranked
    group by {{ partition }}
{% endmacro %}
