"""The ingestion progress: one summary line off a terminal, a bar with the counts on one, and
the expected row count of each format (what "time left" is computed from)."""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.parquet as pq

from orchestration.ingest_store import IngestReport
from orchestration.progress import expected_rows, ingest_progress


def report(received: int) -> IngestReport:
    return IngestReport("predictions", "b", received=received)


def test_off_a_terminal_one_summary_line(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text("{}\n" * 3)
    stream = io.StringIO()
    with ingest_progress(path, "predictions", stream=stream, terminal=False) as progress:
        for n in (1, 2, 3):
            progress(report(n))
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].startswith("predictions: read 3 rows in ")
    assert lines[0].endswith(" rows/s)")


def test_on_a_terminal_a_bar_with_rows_done_of_expected(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text("{}\n" * 4)
    stream = io.StringIO()
    with ingest_progress(path, "predictions", stream=stream, terminal=True) as progress:
        progress(report(2))
        progress(report(4))
    assert "4/4" in stream.getvalue()


def test_lines_mode_says_each_chunk(tmp_path, monkeypatch):
    monkeypatch.setenv("VIGIE_PROGRESS", "lines")
    stream = io.StringIO()
    with ingest_progress(tmp_path / "p.jsonl", "predictions", stream=stream) as progress:
        progress(report(2_000))
        progress(report(4_000))
    assert stream.getvalue().splitlines() == ["  … 2,000 rows read", "  … 4,000 rows read"]


def test_expected_rows_of_each_format(tmp_path):
    (tmp_path / "p.jsonl").write_text('{"a": 1}\n{"a": 2}\n')
    (tmp_path / "p.csv").write_text("a,b\n1,2\n3,4\n5,6\n")
    pq.write_table(pa.table({"a": [1, 2, 3, 4, 5]}), tmp_path / "p.parquet")
    assert expected_rows(tmp_path / "p.jsonl") == 2
    assert expected_rows(tmp_path / "p.csv") == 3
    assert expected_rows(tmp_path / "p.parquet") == 5
    assert expected_rows(tmp_path / "missing.jsonl") is None
