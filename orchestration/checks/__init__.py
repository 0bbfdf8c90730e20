"""Asset checks of Vigie: the promotion gate (blocking); dbt tests come from dagster-dbt."""
