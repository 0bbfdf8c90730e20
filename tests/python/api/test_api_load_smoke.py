"""bench/api_load.py end to end, a few seconds: the stored rows equal the acknowledged ones,
and its README table says so (or says no)."""

from __future__ import annotations

import bench.api_load as api_load


def test_the_load_test_finds_the_stored_rows_equal_to_the_acknowledged(tmp_path):
    result = api_load.run("duckdb", seconds=1.5, clients=3, rows=2, workdir=tmp_path)
    assert result["requests"] > 0 and result["failures"] == 0
    assert result["rows_acknowledged"] == 2 * result["requests"]
    assert result["stored_exactly_acknowledged"] is True
    assert "| yes (" in api_load.markdown([result])
    assert result["commit"]


def test_the_markdown_says_no_when_stored_and_acknowledged_differ():
    result = {"target": "duckdb", "clients": 1, "rows_per_request": 1, "seconds": 1.0,
              "machine": "m", "niceness": 0, "date_utc": "d", "load_average_before": [1],
              "load_average_after": [1], "requests": 1, "requests_per_second": 1.0,
              "rows_per_second": 1.0, "latency_ms": {"p50": 1, "p95": 1, "p99": 1},
              "failures": 0, "stored_exactly_acknowledged": False, "rows_stored": 2,
              "rows_acknowledged": 1, "commit": "abc1234"}
    table = api_load.markdown([result, {**result, "stored_exactly_acknowledged": True,
                                        "rows_stored": 1}])
    assert "**no** (2 stored, 1 acknowledged)" in table
    assert "yes (1 stored, 1 acknowledged)" in table
