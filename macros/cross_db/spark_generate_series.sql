{#- dbt's generate_series (dbt.generate_series) on Spark: the integers 1 to upper_bound as
    `generated_number`. dbt's default sums powers of two with power(), which is a double on
    Spark, and a double cast to text there is '1.0', not '1': the bootstrap's resample keys hash
    that text (macros/stats/bootstrap.sql), so every interval would differ from DuckDB's and
    PostgreSQL's. dbt searches the root project first for its own dispatched macros, so this
    overrides dbt.generate_series on Spark only. -#}
{% macro spark__generate_series(upper_bound) -%}
    select explode(sequence(1, {{ upper_bound }})) as generated_number
{%- endmacro %}
