{#- The distribution summary quantiles Vigie reports (p05 p25 p50 p75 p95), each the linearly
    interpolated quantile of the non-null values (numpy.quantile default, SQL percentile_cont). -#}
{% macro summary_quantiles() -%}
    {{ return([('p05', 0.05), ('p25', 0.25), ('p50', 0.5), ('p75', 0.75), ('p95', 0.95)]) }}
{%- endmacro %}

{#- One aggregate column `<prefix>_<pXX>` per summary quantile of `value`, comma-separated, to
    put in a select list with a group by. -#}
{% macro summary_quantile_aggregates(value, prefix) -%}
    {%- if not prefix -%}
        {{ exceptions.raise_compiler_error("summary_quantile_aggregates: argument `prefix` is required") }}
    {%- endif -%}
    {%- for suffix, fraction in vigie.summary_quantiles() %}
        {{ vigie.percentile_cont(value, fraction) }} as {{ prefix }}_{{ suffix }}
        {%- if not loop.last %},{% endif %}
    {%- endfor %}
{%- endmacro %}
