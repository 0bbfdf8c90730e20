-- One row per model of seeds/feature_schema.csv with a hash of every seed that gives its label,
-- group and cost numbers their meaning: the schema rows with their sensitivity, the model's
-- favourable decisions and outcomes, the sensitive groups' bands, the cost matrix and the
-- thresholds (group sizes, bootstrap resamples and seed). The
-- models that read labels, groups and costs (vigie.window_state_ctes) rebuild the days they
-- computed under another hash, so a seed edit changes past days. Apart from
-- int_model_configuration so that the drift and conformance marts do not depend on these seeds.
with feature_schema as (
    select * from {{ ref('feature_schema') }}
),

entries as (
    select
        model_name,
        feature_name,
        {{ vigie.feature_schema_entry() }} as entry,
        {{ vigie.seed_entry(['feature_name', 'is_sensitive']) }} as sensitivity
    from feature_schema
),

schemas as (
    select
        model_name,
        {{ dbt.hash(vigie.ordered_listagg('entry', "';'", 'order by feature_name')) }} as schema_hash,
        {{ vigie.ordered_listagg('sensitivity', "';'", 'order by feature_name') }} as sensitivities
    from entries
    group by model_name
),

outcome_entries as (
    select
        model_name,
        {{ vigie.seed_entry(['value_kind', 'value', 'is_favorable']) }} as entry
    from {{ ref('outcomes') }}
),

outcomes as (
    select
        model_name,
        {{ vigie.ordered_listagg('entry', "';'", 'order by entry') }} as outcome_entries
    from outcome_entries
    group by model_name
),

band_entries as (
    select
        {{ vigie.seed_entry(['attribute', 'group_name', 'lower_bound', 'upper_bound',
                             'category_value']) }} as entry
    from {{ ref('sensitive_groups') }}
),

bands as (
    select {{ vigie.ordered_listagg('entry', "';'", 'order by entry') }} as band_entries
    from band_entries
),

cost_entries as (
    select
        {{ vigie.seed_entry(['decision', 'outcome', 'cost']) }} as entry
    from {{ ref('cost_matrix') }}
),

costs as (
    select {{ vigie.ordered_listagg('entry', "';'", 'order by entry') }} as cost_entries
    from cost_entries
),

threshold_entries as (
    select
        {{ vigie.seed_entry(['threshold_name', 'threshold_value']) }} as entry
    from {{ ref('thresholds') }}
),

thresholds as (
    select {{ vigie.ordered_listagg('entry', "';'", 'order by entry') }} as threshold_entries
    from threshold_entries
),

-- the resamples a build draws (VIGIE_BOOTSTRAP_RESAMPLES may override the seed's for a run)
bootstrap as (
    {{ vigie.bootstrap_settings(ref('thresholds')) }}
),

final as (
    select
        cast(schemas.model_name as {{ dbt.type_string() }}) as model_name,
        cast({{ dbt.hash(dbt.concat([
            "schemas.schema_hash", "'#'", "schemas.sensitivities",
            "'#'", "coalesce(outcomes.outcome_entries, '')",
            "'#'", "coalesce(bands.band_entries, '')",
            "'#'", "coalesce(costs.cost_entries, '')",
            "'#'", "coalesce(thresholds.threshold_entries, '')",
            "'#'", "coalesce(cast(bootstrap.n_resamples as " ~ dbt.type_string() ~ "), '')"])) }}
            as {{ dbt.type_string() }}) as configuration_hash
    from schemas
    left join outcomes on schemas.model_name = outcomes.model_name
    cross join bands
    cross join costs
    cross join thresholds
    cross join bootstrap
)

select * from final
