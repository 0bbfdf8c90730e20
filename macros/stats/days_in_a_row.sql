{#- Runs of consecutive days (gaps and islands): `relation` holds the flagged days of each
    series (one row per series × day); each row gets days_in_a_row, the length of its run of
    consecutive days up to and including it. Days of a series whose day number minus their
    rank within the series is the same are consecutive, so a missing day ends a run. The one
    definition behind feature_drift's drifted_days_in_a_row and fairness_alerts'
    breached_days_in_a_row (each with a dbt unit test). -#}
{% macro days_in_a_row(relation, series_columns, date_column='window_date') -%}
    {%- if series_columns is string or series_columns | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "days_in_a_row: series_columns must be a non-empty list, got " ~ series_columns) }}
    {%- endif -%}
    select
        runs.*,
        row_number() over (
            partition by {{ series_columns | join(', ') }}, run_key
            order by {{ date_column }}
        ) as days_in_a_row
    from (
        select
            flagged.*,
            {{ dbt.datediff("cast('2000-01-01' as date)", date_column, 'day') }}
                - row_number() over (
                    partition by {{ series_columns | join(', ') }} order by {{ date_column }}
                ) as run_key
        from {{ relation }} as flagged
    ) as runs
{%- endmacro %}
