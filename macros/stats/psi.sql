{#- Population stability index helpers (DESIGN.md "Definitions"): 10 equal-frequency bins cut
    at the reference deciles 0.1 .. 0.9 (linear interpolation), right-closed so that a value
    equal to an edge falls in the lower bin, categories as their own bins with null as the
    category '__null__', proportions floored at 1e-4 before
    psi = sum over bins of (current - reference) * ln(current / reference).
    The same definitions as models_ml/drift.py `psi` and `categorical_psi`. -#}

{#- The reference quantiles that cut the 10 PSI bins. -#}
{% macro psi_edge_fractions() -%}
    {{ return([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]) }}
{%- endmacro %}

{#- Proportions below this are raised to it, so an empty bin does not make PSI infinite. -#}
{% macro psi_floor() -%}
    {{ return(var('vigie_psi_floor', 0.0001)) }}
{%- endmacro %}

{#- The category that stands for a missing value (absent key, JSON null or wrong JSON type). -#}
{% macro psi_null_category() -%}
    '__null__'
{%- endmacro %}

{#- The 1-based PSI bin of `value` given `edge_columns`, the deduplicated edges in ascending
    order padded with nulls: 1 + the number of edges strictly below the value, so bins are
    (-inf, e1], (e1, e2], ..., (e_last, +inf), as numpy.searchsorted(edges, value, 'left') + 1.
    A CASE over at most 9 edges: no join and no correlated subquery per row. -#}
{% macro psi_bin_index(value, edge_columns) -%}
    {%- if edge_columns is string or edge_columns | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "psi_bin_index: argument `edge_columns` must be a non-empty list of columns, got "
            ~ edge_columns) }}
    {%- endif -%}
    (1
    {%- for edge in edge_columns %}
        + case when {{ value }} > {{ edge }} then 1 else 0 end
    {%- endfor %})
{%- endmacro %}

{#- One bin's PSI term from its reference and current proportions (null when either is null),
    both floored at psi_floor(). -#}
{% macro psi_term(reference_share, current_share) -%}
    {%- set floor_value = vigie.psi_floor() -%}
    {%- if floor_value is not number or floor_value <= 0 -%}
        {{ exceptions.raise_compiler_error(
            "psi_term: var `vigie_psi_floor` must be a positive number, got " ~ floor_value) }}
    {%- endif -%}
    ((greatest({{ current_share }}, {{ floor_value }}) - greatest({{ reference_share }}, {{ floor_value }}))
        * ln(greatest({{ current_share }}, {{ floor_value }}) / greatest({{ reference_share }}, {{ floor_value }})))
{%- endmacro %}
