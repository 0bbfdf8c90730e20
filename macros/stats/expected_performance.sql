{#- Confidence-based performance estimation (CBPE, as NannyML's): with p the calibrated
    probability of the positive class (the unfavourable outcome) and ŷ the positive prediction
    (the unfavourable decision), a row is a true positive with probability p·ŷ, a false positive
    with (1 − p)·ŷ, and so on; the expected confusion matrix is the sum over the rows, and each
    metric is the same ratio of expected counts NannyML computes (precision E[TP] / (E[TP] +
    E[FP]), recall E[TP] / (E[TP] + E[FN]), F1 2E[TP] / (2E[TP] + E[FP] + E[FN]), accuracy
    (E[TP] + E[TN]) / n).

    The standard errors say how far the realized metric may fall from the estimate by chance
    alone when the labels are independent Bernoulli(p) draws (the delta method on the ratio of
    two sums of the labels; exact for precision and accuracy, whose denominators do not depend
    on the labels): with v = p (1 − p), v1 its sum over positive predictions and v0 over the
    others, recall R = Σŷy / Σy has variance ((1 − R)² v1 + R² v0) / (Σp)², F1 = 2Σŷy / (Σŷ + Σy)
    has ((2 − F)² v1 + F² v0) / (Σŷ + Σp)². The same holds for the rates of fairlearn's
    convention (favourable outcome and favourable decision as the positive class, as in
    group_parity): favourable_true_positive_rate = E[TN] / (n − Σp) and
    favourable_false_positive_rate = E[FN] / Σp, their errors with v0 and v1 swapped.

    `relation` holds one row per prediction with `partition_by`, `probability_column` (in
    [0, 1]) and `predicted_column` (1 or 0); rows with a null of either are left out. A metric
    whose expected denominator is 0 is null. -#}
{% macro expected_confusion_from(relation, partition_by, probability_column='calibrated_probability',
                                 predicted_column='is_predicted_positive') %}
    {%- if partition_by is string or partition_by is not sequence or partition_by | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "expected_confusion_from: argument `partition_by` must be a non-empty list of columns, got "
            ~ partition_by) }}
    {%- endif -%}
    {%- set double = vigie.type_double() -%}
    {%- set p = probability_column -%}
    {%- set y_hat = 'cast(' ~ predicted_column ~ ' as ' ~ double ~ ')' -%}
    {%- set tp = 'expected_true_positive' -%}
    {%- set fn = '(expected_positive - expected_true_positive)' -%}
    {%- set tn = '(n_rows - n_predicted_positive - expected_positive + expected_true_positive)' -%}
    {%- set v1 = 'variance_predicted_positive' -%}
    {%- set v0 = '(variance_total - variance_predicted_positive)' -%}
    {%- set precision = tp ~ ' / nullif(n_predicted_positive, 0)' -%}
    {%- set recall = tp ~ ' / nullif(expected_positive, 0)' -%}
    {%- set f1 = '2 * ' ~ tp ~ ' / nullif(n_predicted_positive + expected_positive, 0)' -%}
    {%- set favourable_tpr = tn ~ ' / nullif(n_rows - expected_positive, 0)' -%}
    {%- set favourable_fpr = fn ~ ' / nullif(expected_positive, 0)' -%}
    select
        {{ partition_by | join(', ') }},
        cast(n_rows as {{ dbt.type_bigint() }}) as n_rows,
        n_predicted_positive,
        expected_positive,
        {{ tp }} as expected_true_positive,
        {{ precision }} as precision,
        sqrt({{ v1 }}) / nullif(n_predicted_positive, 0) as precision_standard_error,
        {{ recall }} as recall,
        sqrt((1 - {{ recall }}) * (1 - {{ recall }}) * {{ v1 }}
             + {{ recall }} * {{ recall }} * {{ v0 }}) / nullif(expected_positive, 0)
            as recall_standard_error,
        {{ f1 }} as f1,
        sqrt((2 - {{ f1 }}) * (2 - {{ f1 }}) * {{ v1 }} + {{ f1 }} * {{ f1 }} * {{ v0 }})
            / nullif(n_predicted_positive + expected_positive, 0) as f1_standard_error,
        ({{ tp }} + {{ tn }}) / nullif(n_rows, 0) as accuracy,
        sqrt(variance_total) / nullif(n_rows, 0) as accuracy_standard_error,
        {{ favourable_tpr }} as favorable_true_positive_rate,
        sqrt((1 - {{ favourable_tpr }}) * (1 - {{ favourable_tpr }}) * {{ v0 }}
             + {{ favourable_tpr }} * {{ favourable_tpr }} * {{ v1 }})
            / nullif(n_rows - expected_positive, 0) as favorable_true_positive_rate_standard_error,
        {{ favourable_fpr }} as favorable_false_positive_rate,
        sqrt((1 - {{ favourable_fpr }}) * (1 - {{ favourable_fpr }}) * {{ v0 }}
             + {{ favourable_fpr }} * {{ favourable_fpr }} * {{ v1 }})
            / nullif(expected_positive, 0) as favorable_false_positive_rate_standard_error
    from (
        select
            {{ partition_by | join(', ') }},
            count(*) as n_rows,
            sum({{ y_hat }}) as n_predicted_positive,
            sum({{ p }}) as expected_positive,
            sum({{ p }} * {{ y_hat }}) as expected_true_positive,
            sum({{ p }} * (1 - {{ p }})) as variance_total,
            sum({{ p }} * (1 - {{ p }}) * {{ y_hat }}) as variance_predicted_positive
        from {{ relation }}
        where {{ p }} is not null and {{ predicted_column }} in (0, 1)
        group by {{ partition_by | join(', ') }}
    ) as sums
{% endmacro %}


{#- The expected ROC AUC per partition: rows ranked by `score_column` (the model's own score,
    whose order the calibration keeps), each counting `probability_column` of a positive and
    1 − it of a negative. Equal to the trapezoid area under the ROC curve of the expected true
    and false positive counts at every distinct score (NannyML's estimate):
        AUC = Σ_s P_s (N_<s + N_s / 2) / (P · N),
    P_s and N_s the expected positives and negatives at score s, N_<s the expected negatives
    below it. Its standard error is Hanley and McNeil's (1982) with P and N as the class sizes.
    Null when P or N is 0. -#}
{% macro expected_roc_auc_from(relation, partition_by, score_column='score',
                               probability_column='calibrated_probability') %}
    {%- if partition_by is string or partition_by is not sequence or partition_by | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "expected_roc_auc_from: argument `partition_by` must be a non-empty list of columns, got "
            ~ partition_by) }}
    {%- endif -%}
    {%- set partition = partition_by | join(', ') -%}
    {%- set auc = 'sum(positive_mass * (negative_mass_below + negative_mass / 2)) / nullif(sum(positive_mass) * sum(negative_mass), 0)' -%}
    select
        {{ partition }},
        roc_auc,
        case when roc_auc is not null then sqrt(greatest(0,
            roc_auc * (1 - roc_auc)
            + (expected_positive - 1) * (roc_auc / (2 - roc_auc) - roc_auc * roc_auc)
            + (expected_negative - 1) * (2 * roc_auc * roc_auc / (1 + roc_auc) - roc_auc * roc_auc)
        ) / nullif(expected_positive * expected_negative, 0)) end as roc_auc_standard_error
    from (
        select
            {{ partition }},
            sum(positive_mass) as expected_positive,
            sum(negative_mass) as expected_negative,
            case when sum(positive_mass) > 0 and sum(negative_mass) > 0 then {{ auc }} end
                as roc_auc
        from (
            select
                tied.*,
                coalesce(sum(negative_mass) over (
                    partition by {{ partition }} order by {{ score_column }}
                    rows between unbounded preceding and 1 preceding), 0) as negative_mass_below
            from (
                select
                    {{ partition }},
                    {{ score_column }},
                    sum({{ probability_column }}) as positive_mass,
                    sum(1 - {{ probability_column }}) as negative_mass
                from {{ relation }}
                where {{ score_column }} is not null and {{ probability_column }} is not null
                group by {{ partition }}, {{ score_column }}
            ) as tied
        ) as cumulative
        group by {{ partition }}
    ) as expected
{% endmacro %}


{#- The sampling band of an estimate: estimate ± `sigmas` standard errors, kept within [0, 1];
    null when any of the three is null (greatest and least skip nulls on PostgreSQL and Spark,
    hence the explicit case). `side` is 'low' or 'high'. -#}
{% macro estimate_band(estimate, standard_error, sigmas, side) -%}
    {%- if side == 'low' -%}
        case when {{ estimate }} is not null and {{ standard_error }} is not null
                  and {{ sigmas }} is not null
             then greatest(0, {{ estimate }} - {{ sigmas }} * {{ standard_error }}) end
    {%- elif side == 'high' -%}
        case when {{ estimate }} is not null and {{ standard_error }} is not null
                  and {{ sigmas }} is not null
             then least(1, {{ estimate }} + {{ sigmas }} * {{ standard_error }}) end
    {%- else -%}
        {{ exceptions.raise_compiler_error("estimate_band: side must be 'low' or 'high', got " ~ side) }}
    {%- endif -%}
{%- endmacro %}
