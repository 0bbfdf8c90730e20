"""Dagster assets of Vigie: raw traffic, dbt models, KS drift, training, evaluation, promotion."""
