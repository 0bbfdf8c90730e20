{#- The seeded Poisson bootstrap behind every fairness interval (marts/fairness/*summary*).

    Each row of a sample gets, in resample b, a weight drawn from Poisson(1) by the inverse CDF
    of a uniform hashed from (row id, b, seed) (bootstrap_resample_sums says how): the same row has the same weight wherever it is
    counted (every sensitive attribute, each day and the 7-day windows over it, the candidate's
    and production's scores of one held-out row), so a 7-day resample is the sum of its daily
    resamples and candidate and production are resampled together. Sums of Poisson weights
    replace the counts of group_parity_from; the metrics follow from them as the point
    estimates do. -#}

{#- An integer in [0, 2^32) from a text expression: the first 8 hex digits of its md5. -#}
{% macro md5_integer(text_expression) %}
    {%- if not text_expression -%}
        {{ exceptions.raise_compiler_error("md5_integer: argument `text_expression` is required") }}
    {%- endif -%}
    {{ return(adapter.dispatch('md5_integer', 'vigie')(text_expression)) }}
{% endmacro %}

{% macro default__md5_integer(text_expression) -%}
    {{ exceptions.raise_compiler_error(
        "md5_integer: no implementation for adapter '" ~ target.type
        ~ "' (add <adapter>__md5_integer: the first 8 hex digits of md5 as a bigint)") }}
{%- endmacro %}

{% macro duckdb__md5_integer(text_expression) -%}
    cast('0x' || substr(md5({{ text_expression }}), 1, 8) as bigint)
{%- endmacro %}

{% macro postgres__md5_integer(text_expression) -%}
    cast(cast('x' || substr(md5({{ text_expression }}), 1, 8) as bit(32)) as bigint)
{%- endmacro %}


{#- The Poisson(1) draw for a uniform u in [0, 1): the smallest k with P(X <= k) > u. The
    cumulative probabilities are e^-1 * sum_{j<=k} 1/j!; a 32-bit uniform never exceeds
    1 - 2^-32, so k stops at 12 (P(X > 11) = 8.3e-10). -#}
{% macro poisson_one_inverse_cdf(uniform) %}
    {%- set cumulative = [0.36787944117144233, 0.7357588823428847, 0.9196986029286058,
                          0.9810118431238463, 0.9963401531726563, 0.9994058151824183,
                          0.999916758850712, 0.9999897508033253, 0.999998874797402,
                          0.9999998885745216, 0.9999999899522336, 0.9999999991683892] -%}
    case
        {%- for p in cumulative %}
        when {{ uniform }} < {{ p }} then {{ loop.index0 }}
        {%- endfor %}
        else {{ cumulative | length }}
    end
{%- endmacro %}


{#- Per partition × attribute × group × resample, the Poisson-weighted counts of `relation`
    (rows as group_parity_from takes them, plus `row_id`). The resample count and seed are the
    thresholds bootstrap_resamples (1 to 1000) and bootstrap_seed.

    The uniform of row r in resample b is ((a_b x_r + c_b) mod p) / p, p = 2^31 - 1 (prime):
    x_r is md5(row id, seed) and (a_b, c_b), a_b != 0, md5(b, seed) reduced mod p. For a fixed b
    the map x -> a_b x + c_b is a bijection of the integers mod p, so the rows' uniforms in one
    resample are as independent and uniform as their hashes; two resamples use unrelated keys.
    One md5 per row and one per resample instead of one per (row, resample): the cross join is
    integer arithmetic (a_b x_r < 2^62 fits a bigint). -#}
{% macro bootstrap_resample_sums(relation, partition_by, row_id='prediction_id',
                                 thresholds='thresholds') %}
    {%- if partition_by is string or partition_by is not sequence or partition_by | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "bootstrap_resample_sums: argument `partition_by` must be a non-empty list of "
            ~ "columns, got " ~ partition_by) }}
    {%- endif -%}
    {%- set bigint = dbt.type_bigint() -%}
    {%- set text = dbt.type_string() -%}
    {%- set prime = 2147483647 -%}
    {%- set keys = partition_by + ['attribute', 'group_name', 'resample_index'] -%}
    {%- set counted = {
        'n_predictions': '1',
        'n_favorable_decisions': 'case when is_favorable_decision then 1 else 0 end',
        'n_labeled': 'case when is_favorable_outcome is not null then 1 else 0 end',
        'n_favorable_outcomes': 'case when is_favorable_outcome then 1 else 0 end',
        'n_unfavorable_outcomes': 'case when not is_favorable_outcome then 1 else 0 end',
        'n_true_favorable': 'case when is_favorable_outcome and is_favorable_decision then 1 else 0 end',
        'n_false_favorable': 'case when not is_favorable_outcome and is_favorable_decision then 1 else 0 end'} -%}
    {%- set uniform = "cast((resamples.key_multiplier * hashed.row_hash + resamples.key_offset) % "
        ~ prime ~ " as " ~ vigie.type_double() ~ ") / " ~ prime -%}
    select
        {%- for column in keys %}
        {{ column }},
        {%- endfor %}
        {%- for name, expression in counted.items() %}
        cast(sum(resample_weight * {{ expression }}) as {{ bigint }}) as {{ name }}{{ "," if not loop.last }}
        {%- endfor %}
    from (
        select
            hashed.*,
            resamples.resample_index,
            {{ vigie.poisson_one_inverse_cdf(uniform) }} as resample_weight
        from (
            select
                sampled.*,
                {{ vigie.md5_integer("cast(sampled." ~ row_id ~ " as " ~ text ~ ") || '|' || settings.seed_text") }}
                    % {{ prime }} as row_hash
            from {{ relation }} as sampled
            cross join ({{ vigie.bootstrap_settings(thresholds) }}) as settings
        ) as hashed
        cross join (
            select
                cast(series.generated_number as {{ bigint }}) as resample_index,
                1 + {{ vigie.md5_integer("'a|' || cast(series.generated_number as " ~ text ~ ") || '|' || settings.seed_text") }}
                    % {{ prime - 1 }} as key_multiplier,
                {{ vigie.md5_integer("'c|' || cast(series.generated_number as " ~ text ~ ") || '|' || settings.seed_text") }}
                    % {{ prime }} as key_offset
            from ({{ dbt.generate_series(1000) }}) as series
            cross join ({{ vigie.bootstrap_settings(thresholds) }}) as settings
            -- no seed, no resamples (a null seed would hash every row to the same weight)
            where series.generated_number <= settings.n_resamples
                and settings.seed_text is not null
        ) as resamples
    ) as weighted
    group by
        {%- for column in keys %}
        {{ column }}{{ "," if not loop.last }}
        {%- endfor %}
{% endmacro %}


{#- The resample count: the threshold bootstrap_resamples, unless the environment variable
    VIGIE_BOOTSTRAP_RESAMPLES sets another for the run (the test suite lowers it for builds
    that do not read intervals: a build's cost grows with the count). An aggregate over the
    rows of `thresholds`. -#}
{% macro bootstrap_resamples(thresholds='thresholds') -%}
    {%- set override = env_var('VIGIE_BOOTSTRAP_RESAMPLES', '') | trim -%}
    {%- if override -%}
        {%- if not (override is string and override.isdigit() and 1 <= override | int <= 1000) -%}
            {{ exceptions.raise_compiler_error(
                "VIGIE_BOOTSTRAP_RESAMPLES must be a whole number from 1 to 1000, got '"
                ~ override ~ "'") }}
        {%- endif -%}
        max(cast({{ override | int }} as {{ vigie.type_double() }}))
    {%- else -%}
        max(case when threshold_name = 'bootstrap_resamples' then threshold_value end)
    {%- endif -%}
{%- endmacro %}


{#- One row: the thresholds bootstrap_resamples and bootstrap_seed (as text). -#}
{% macro bootstrap_settings(thresholds='thresholds') -%}
    select
        {{ vigie.bootstrap_resamples(thresholds) }} as n_resamples,
        cast(cast(max(case when threshold_name = 'bootstrap_seed' then threshold_value end)
                  as {{ dbt.type_bigint() }}) as {{ dbt.type_string() }}) as seed_text
    from {{ thresholds }}
{%- endmacro %}
