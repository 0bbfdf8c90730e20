"""Vigie's Dagster code location, warehouse wiring and the `vigie` command."""
