{#- The seeded Poisson bootstrap behind every fairness interval (marts/fairness/*summary*).

    Each row of a sample gets, in resample b, a weight drawn from Poisson(1) by the inverse CDF
    of a uniform hashed from (row id, b, seed) (bootstrap_resample_sums says how): the same row
    has the same weight wherever it is counted (every sensitive attribute, each day and the
    7-day windows over it, the candidate's and production's scores of one held-out row), so a
    7-day resample is the sum of its daily resamples and candidate and production are
    resampled together. Sums of Poisson weights replace the counts of group_parity_from; the
    metrics follow from them as the point estimates do.

    At scale the per-row weights cost rows x resamples (two billion at ten million predictions
    and 200 resamples). Every metric is a function of the sums per cell (partition x attribute x
    group x decision x outcome), and the sum of n independent Poisson(1) weights is one
    Poisson(n) draw: with `whole_cells_above`, a cell of more rows than that gets one Poisson(n)
    draw per resample (poisson_normal_quantile), keyed by a hash of the cell instead of its rows,
    and smaller cells keep the exact per-row weights. The resample's distribution is the same;
    what is lost is only that a row weighs the same in two attributes, which no metric reads. -#}

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

{#- conv(hex, 16, 10) reads the 8 hex digits as an unsigned number (its decimal text). -#}
{% macro spark__md5_integer(text_expression) -%}
    cast(conv(substr(md5({{ text_expression }}), 1, 8), 16, 10) as bigint)
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
                                 thresholds='thresholds', whole_cells_above=none) %}
    {%- if partition_by is string or partition_by is not sequence or partition_by | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "bootstrap_resample_sums: argument `partition_by` must be a non-empty list of "
            ~ "columns, got " ~ partition_by) }}
    {%- endif -%}
    {%- if whole_cells_above is not none and (whole_cells_above is not number
                                               or whole_cells_above < 1) -%}
        {{ exceptions.raise_compiler_error(
            "bootstrap_resample_sums: argument `whole_cells_above` must be a positive number or "
            ~ "none, got " ~ whole_cells_above) }}
    {%- endif -%}
    {%- set bigint = dbt.type_bigint() -%}
    {%- set text = dbt.type_string() -%}
    {%- set prime = 2147483647 -%}
    {%- set keys = partition_by + ['attribute', 'group_name', 'resample_index'] -%}
    {%- set cell_keys = partition_by + ['attribute', 'group_name', 'is_favorable_decision',
                                        'is_favorable_outcome'] -%}
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
    {%- if whole_cells_above is none -%}
        {%- set row_source = relation -%}
    {%- else -%}
        {%- set row_source -%}
            (select * from (
                select sized.*, count(*) over (partition by
                    {%- for column in cell_keys %} sized.{{ column }}{{ "," if not loop.last }}{% endfor %}
                ) as cell_rows
                from {{ relation }} as sized
            ) as counted_rows where cell_rows <= {{ whole_cells_above }})
        {%- endset -%}
    {%- endif %}
    select
        {%- for column in keys %}
        {{ column }},
        {%- endfor %}
        {%- for name, expression in counted.items() %}
        cast(sum(resample_weight * {{ expression }}) as {{ bigint }}) as {{ name }}{{ "," if not loop.last }}
        {%- endfor %}
    from (
        select
            {%- for column in cell_keys %}
            hashed.{{ column }},
            {%- endfor %}
            resamples.resample_index,
            {{ vigie.poisson_one_inverse_cdf(uniform) }} as resample_weight
        from (
            select
                sampled.*,
                {{ vigie.md5_integer("cast(sampled." ~ row_id ~ " as " ~ text ~ ") || '|' || settings.seed_text") }}
                    % {{ prime }} as row_hash
            from {{ row_source }} as sampled
            cross join ({{ vigie.bootstrap_settings(thresholds) }}) as settings
            {{ vigie.optimization_fence() }}
        ) as hashed
        cross join ({{ vigie.bootstrap_resample_keys(thresholds) }}) as resamples
        {%- if whole_cells_above is not none %}
        union all
        select
            {%- for column in cell_keys %}
            {{ column }},
            {%- endfor %}
            resample_index,
            {{ vigie.poisson_normal_quantile('cell_rows', 'standard_normal') }} as resample_weight
        from (
            select
                uniforms.*,
                {{ vigie.standard_normal_quantile('uniform') }} as standard_normal
            from (
                select
                    hashed.*,
                    resamples.resample_index,
                    -- + 0.5: a uniform strictly inside (0, 1), where the normal quantile is finite
                    (cast((resamples.key_multiplier * hashed.cell_hash + resamples.key_offset)
                          % {{ prime }} as {{ vigie.type_double() }}) + 0.5) / {{ prime }}
                        as uniform
                from (
                    select
                        cells.*,
                        {{ vigie.md5_integer(vigie.bootstrap_cell_text(cell_keys, 'cells') ~ " || '|' || settings.seed_text") }}
                            % {{ prime }} as cell_hash
                    from (
                        select
                            {%- for column in cell_keys %}
                            {{ column }},
                            {%- endfor %}
                            count(*) as cell_rows
                        from {{ relation }} as cell_source
                        group by
                            {%- for column in cell_keys %}
                            {{ column }}{{ "," if not loop.last }}
                            {%- endfor %}
                        having count(*) > {{ whole_cells_above }}
                    ) as cells
                    cross join ({{ vigie.bootstrap_settings(thresholds) }}) as settings
                ) as hashed
                cross join ({{ vigie.bootstrap_resample_keys(thresholds) }}) as resamples
            ) as uniforms
        ) as normals
        {%- endif %}
        {{ vigie.optimization_fence() }}
    ) as weighted
    group by
        {%- for column in keys %}
        {{ column }}{{ "," if not loop.last }}
        {%- endfor %}
{% endmacro %}


{#- Per resample b (1 to the resample count): its index and the keys (a_b, c_b) of its affine
    map, a_b != 0. No seed, no resamples (a null seed would hash every row to the same weight). -#}
{% macro bootstrap_resample_keys(thresholds='thresholds') -%}
    {%- set bigint = dbt.type_bigint() -%}
    {%- set text = dbt.type_string() -%}
    {%- set prime = 2147483647 -%}
            select
                cast(series.generated_number as {{ bigint }}) as resample_index,
                1 + {{ vigie.md5_integer("'a|' || cast(series.generated_number as " ~ text ~ ") || '|' || settings.seed_text") }}
                    % {{ prime - 1 }} as key_multiplier,
                {{ vigie.md5_integer("'c|' || cast(series.generated_number as " ~ text ~ ") || '|' || settings.seed_text") }}
                    % {{ prime }} as key_offset
            from ({{ dbt.generate_series(1000) }}) as series
            cross join ({{ vigie.bootstrap_settings(thresholds) }}) as settings
            where series.generated_number <= settings.n_resamples
                and settings.seed_text is not null
{%- endmacro %}


{#- A cell's identity as text, for its hash: every key column as text, null as '~'. -#}
{% macro bootstrap_cell_text(columns, alias) -%}
    {%- for column in columns -%}
        coalesce(cast({{ alias }}.{{ column }} as {{ dbt.type_string() }}), '~')
        {%- if not loop.last %} || '|' || {% endif -%}
    {%- endfor -%}
{%- endmacro %}


{#- The standard normal quantile of a uniform u in (0, 1): Acklam's rational approximation
    (relative error below 1.15e-9), a lower tail, a central and an upper tail region. -#}
{% macro standard_normal_quantile(uniform) -%}
    {%- set u = "cast(" ~ uniform ~ " as " ~ vigie.type_double() ~ ")" -%}
    {%- set a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.3577518672690,
                 -30.66479806614716, 2.506628277459239] -%}
    {%- set b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972,
                 -13.28068155288572] -%}
    {%- set c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838,
                 -2.549732539343734, 4.374664141464968, 2.938163982698783] -%}
    {%- set d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996,
                 3.754408661907416] -%}
    {%- set tail_q = "sqrt(-2 * ln(least(" ~ u ~ ", 1 - " ~ u ~ ")))" -%}
    {%- set central_r = "((" ~ u ~ " - 0.5) * (" ~ u ~ " - 0.5))" -%}
    case
        when {{ u }} < 0.02425 or {{ u }} > 0.97575 then
            (case when {{ u }} < 0.5 then 1 else -1 end)
            * ((((({{ c[0] }} * {{ tail_q }} + {{ c[1] }}) * {{ tail_q }} + {{ c[2] }}) * {{ tail_q }}
                + {{ c[3] }}) * {{ tail_q }} + {{ c[4] }}) * {{ tail_q }} + {{ c[5] }})
            / (((({{ d[0] }} * {{ tail_q }} + {{ d[1] }}) * {{ tail_q }} + {{ d[2] }}) * {{ tail_q }}
                + {{ d[3] }}) * {{ tail_q }} + 1)
        else
            ((((({{ a[0] }} * {{ central_r }} + {{ a[1] }}) * {{ central_r }} + {{ a[2] }})
                * {{ central_r }} + {{ a[3] }}) * {{ central_r }} + {{ a[4] }}) * {{ central_r }}
                + {{ a[5] }}) * ({{ u }} - 0.5)
            / ((((({{ b[0] }} * {{ central_r }} + {{ b[1] }}) * {{ central_r }} + {{ b[2] }})
                * {{ central_r }} + {{ b[3] }}) * {{ central_r }} + {{ b[4] }}) * {{ central_r }} + 1)
    end
{%- endmacro %}


{#- The Poisson(mean) draw for a standard normal quantile z: the Cornish-Fisher expansion
    mean + sqrt(mean) z + (z^2 - 1) / 6 + (z^3 - 7 z) / (72 sqrt(mean)), rounded to the nearest
    count. For mean above 100 it is scipy.stats.poisson.ppf for all but 0.4 % of uniforms, and
    then one count away (tests/python/test_bootstrap_macros.py): far inside the Monte Carlo
    error of a few hundred resamples. -#}
{% macro poisson_normal_quantile(count, standard_normal) -%}
    {%- set mean = "cast(" ~ count ~ " as " ~ vigie.type_double() ~ ")" -%}
    {%- set z = "(" ~ standard_normal ~ ")" -%}
    greatest(0, floor({{ mean }} + sqrt({{ mean }}) * {{ z }} + ({{ z }} * {{ z }} - 1) / 6.0
        + ({{ z }} * {{ z }} * {{ z }} - 7 * {{ z }}) / (72 * sqrt({{ mean }})) + 0.5))
{%- endmacro %}


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
