"""The DuckDB target's engine settings (profiles.yml) survive a build that spills to disk.

dbt-duckdb opens the database once with the profile's `config_options` and then runs `SET` for
each `settings` entry on every new cursor (each node of a build). DuckDB refuses to set
temp_directory again once a query has spilled there, so with temp_directory among `settings`
every node after the first spill of a large build failed (found on a 10 M-prediction bench
build). Here dbt-duckdb's own connection code opens a database with the profile's entries, a
query spills, and a new cursor is made as the next node's would be.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from dbt.adapters.duckdb.credentials import DuckDBCredentials
from dbt.adapters.duckdb.environments import Environment

PROFILE = Path(__file__).resolve().parents[2] / "profiles.yml"
SPILLING_QUERY = ("select count(*) from (select range, hash(range) as h, repeat('x', 20) as s "
                  "from range(3000000) order by h)")


def duckdb_output() -> dict:
    return yaml.safe_load(PROFILE.read_text())["vigie"]["outputs"]["duckdb"]


def credentials(tmp_path: Path, *, spill_dir_in_settings: bool) -> DuckDBCredentials:
    """The profile's engine entries, values fixed for the test (a small memory limit so the
    query spills), placed where the profile puts them unless told otherwise."""
    output = duckdb_output()
    values = {"memory_limit": "40MB", "threads": "1", "temp_directory": str(tmp_path / "spill")}
    settings = {key: values[key] for key in output.get("settings", {})}
    options = {key: values[key] for key in output.get("config_options", {})}
    if spill_dir_in_settings:
        settings["temp_directory"] = options.pop("temp_directory")
    return DuckDBCredentials(path=str(tmp_path / "w.duckdb"), settings=settings,
                             config_options=options)


def spill_then_open_a_cursor(creds: DuckDBCredentials, tmp_path: Path) -> None:
    conn = Environment.initialize_db(creds)
    try:
        cursor = Environment.initialize_cursor(creds, conn.cursor())
        assert cursor.execute(SPILLING_QUERY).fetchall() == [(3_000_000,)]
        assert (tmp_path / "spill").exists()  # it did spill
        next_node = Environment.initialize_cursor(creds, conn.cursor())
        assert next_node.execute("select current_setting('memory_limit')").fetchall()
    finally:
        conn.close()


def test_the_profile_gives_the_spill_directory_once_and_the_limits_per_cursor():
    output = duckdb_output()
    assert set(output["settings"]) == {"memory_limit", "threads"}
    assert set(output["config_options"]) == {"temp_directory"}


def test_a_node_after_a_spill_opens_its_cursor(tmp_path):
    spill_then_open_a_cursor(credentials(tmp_path, spill_dir_in_settings=False), tmp_path)


def test_the_spill_directory_among_settings_fails_after_a_spill(tmp_path):
    # what the profile did before: the next node's cursor cannot be set up
    with pytest.raises(Exception, match="Cannot switch temporary directory"):
        spill_then_open_a_cursor(credentials(tmp_path, spill_dir_in_settings=True), tmp_path)
