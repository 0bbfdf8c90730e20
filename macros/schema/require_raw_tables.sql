{#
    on-run-start: stop with one line when the run would read raw tables that do not exist yet
    (a fresh warehouse before `vigie init`), instead of one database error per staging model.
    Only the sources read by the selected nodes count, so a run of the seeds alone still goes.
#}
{% macro require_raw_tables() %}
    {% if execute %}
        {% set wanted = [] %}
        {% for unique_id in selected_resources %}
            {% set node = graph.nodes.get(unique_id) %}
            {% for parent in (node.depends_on.nodes if node else []) %}
                {% if parent.startswith('source.') and parent not in wanted %}
                    {% do wanted.append(parent) %}
                {% endif %}
            {% endfor %}
        {% endfor %}
        {% set missing = [] %}
        {% for unique_id in wanted %}
            {% set source = graph.sources[unique_id] %}
            {% set relation = adapter.get_relation(database=source.database,
                                                   schema=source.schema,
                                                   identifier=source.identifier) %}
            {% if relation is none %}
                {% do missing.append(source.schema ~ '.' ~ source.identifier) %}
            {% endif %}
        {% endfor %}
        {% if missing %}
            {{ exceptions.raise_compiler_error(
                'the raw tables ' ~ (missing | sort | join(', ')) ~ ' do not exist: run '
                ~ '`vigie init` first (it creates the raw schema and tables)') }}
        {% endif %}
    {% endif %}
{% endmacro %}
