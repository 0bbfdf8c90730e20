{#- Distances between the reference and current distributions of a feature over the PSI bins
    of marts.feature_distributions (numeric: reference deciles; categorical: categories, null
    as '__null__'), with no floor: an empty bin adds nothing. Each macro is one bin's term; the
    distance is sqrt(sum of the terms), greatest(..., 0) absorbing a rounding error below zero
    (binned_distance). -#}

{#- Jensen-Shannon distance, natural logarithm, as scipy.spatial.distance.jensenshannon(p, q):
    sqrt((KL(p || m) + KL(q || m)) / 2) with m = (p + q) / 2; a term is
    (p ln(2p / (p + q)) + q ln(2q / (p + q))) / 2, with 0 ln 0 = 0. Null when either share is. -#}
{% macro jensenshannon_term(reference_share, current_share) -%}
    (case
        when {{ reference_share }} is null or {{ current_share }} is null then null
        else 0.5 * (
            case when {{ reference_share }} > 0
                then {{ reference_share }} * ln(2 * {{ reference_share }}
                    / ({{ reference_share }} + {{ current_share }}))
                else 0 end
            + case when {{ current_share }} > 0
                then {{ current_share }} * ln(2 * {{ current_share }}
                    / ({{ reference_share }} + {{ current_share }}))
                else 0 end)
    end)
{%- endmacro %}

{#- Hellinger distance sqrt(sum((sqrt(p) - sqrt(q))^2) / 2), in [0, 1]: a term is
    (sqrt(p) - sqrt(q))^2 / 2. -#}
{% macro hellinger_term(reference_share, current_share) -%}
    (0.5 * (sqrt({{ reference_share }}) - sqrt({{ current_share }}))
        * (sqrt({{ reference_share }}) - sqrt({{ current_share }})))
{%- endmacro %}

{#- sqrt of an aggregate of terms, never of a rounding error below zero; null stays null. -#}
{% macro binned_distance(summed_terms) -%}
    sqrt(greatest({{ summed_terms }}, 0))
{%- endmacro %}
