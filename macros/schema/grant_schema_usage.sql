{#
    on-run-end: USAGE on the schema of every model that ran with a `select` grant (dbt's
    `grants` config gives SELECT on the relation, which a role cannot reach without USAGE on
    its schema). The roles are read from the models' own grants config, so the config stays
    the one place that names them. PostgreSQL only: DuckDB has no roles.
#}
{% macro grant_schema_usage(results) %}
    {% if execute and target.type == 'postgres' %}
        {% set usage = {} %}
        {% for result in results %}
            {% set node = result.node %}
            {% set roles = (node.config.get('grants') or {}).get('select', []) %}
            {% if node.resource_type == 'model' and result.status == 'success' and roles %}
                {% for role in ([roles] if roles is string else roles) %}
                    {% do usage.setdefault(node.schema, []).append(role) %}
                {% endfor %}
            {% endif %}
        {% endfor %}
        {% for schema in usage | sort %}
            {% for role in usage[schema] | unique | sort %}
                {% do run_query('grant usage on schema ' ~ adapter.quote(schema) ~ ' to '
                                ~ adapter.quote(role)) %}
            {% endfor %}
        {% endfor %}
    {% endif %}
{% endmacro %}
