"""Benchmarks of Vigie against the tools a team would otherwise use."""
