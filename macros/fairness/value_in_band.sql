{#- The one definition of a sensitive value's group (seeds/sensitive_groups): a category band
    holds its value; a numeric band holds the numbers in [lower_bound, upper_bound), either end
    open when null. `value_text` and `value_numeric` are the value as text and as a number (null
    when it is not one); `bands` is the alias of the seed's rows. Join condition of
    int_prediction_groups and of the audit's int_audit_row_groups. -#}
{% macro value_in_band(value_text, value_numeric, bands='bands') -%}
    (
        ({{ bands }}.category_value is not null and {{ value_text }} = {{ bands }}.category_value)
        or (
            {{ bands }}.category_value is null
            and {{ value_numeric }} is not null
            and ({{ bands }}.lower_bound is null or {{ value_numeric }} >= {{ bands }}.lower_bound)
            and ({{ bands }}.upper_bound is null or {{ value_numeric }} < {{ bands }}.upper_bound)
        )
    )
{%- endmacro %}
