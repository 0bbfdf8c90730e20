"""Progress of an ingestion: a bar (rows, rows/s, time left) on a terminal, one summary line
when the output is a file or a pipe (a log gets one line per file, not one per chunk).
VIGIE_PROGRESS=bar|summary|lines chooses (lines: one line per chunk, for a watcher that acts
on how far a file has gone).

    with ingest_progress(path, "predictions") as progress:
        report = ingest_file(warehouse, "predictions", path, rules=rules, progress=progress)
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

import pyarrow.parquet as pq
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from orchestration.readers import ReaderError, check_readable


class RowsPerSecond(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.0f} rows/s", style="progress.data.speed")


def expected_rows(path: str | Path) -> int | None:
    """Rows the file holds, to say how much is left: Parquet's count, else its lines (a CSV
    less its header); None when it cannot be told."""
    path = Path(path)
    try:
        fmt = check_readable(path)
        if fmt == "parquet":
            return pq.ParquetFile(path).metadata.num_rows
        with path.open("rb") as handle:
            lines = sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 24), b""))
    except (ReaderError, OSError, ValueError):
        return None
    return max(lines - 1, 0) if fmt == "csv" else lines


@contextmanager
def ingest_progress(path: str | Path, source: str, *, stream: TextIO | None = None,
                    terminal: bool | None = None) -> Iterator[Callable]:
    """A callback for ingest_records(progress=...): a live bar when `terminal` (default: whether
    stdout is one), else nothing until the end, then one line on `stream` (default stderr)."""
    stream = stream or sys.stderr
    mode = os.environ.get("VIGIE_PROGRESS", "")
    terminal = sys.stdout.isatty() if terminal is None else terminal
    terminal = mode == "bar" or (terminal and mode != "summary")
    started = time.perf_counter()
    seen = {"rows": 0}
    if mode == "lines":
        def line(report) -> None:
            print(f"  … {report.received:,} rows read", file=stream, flush=True)

        yield line
        return
    if not terminal:
        def note(report) -> None:
            seen["rows"] = report.received

        yield note
        seconds = max(time.perf_counter() - started, 1e-9)
        print(f"{source}: read {seen['rows']:,} rows in {seconds:,.1f} s "
              f"({seen['rows'] / seconds:,.0f} rows/s)", file=stream)
        return
    columns = (TextColumn(f"{source}"), BarColumn(), MofNCompleteColumn(), RowsPerSecond(),
               TextColumn("left"), TimeRemainingColumn())
    with Progress(*columns, console=Console(file=stream), transient=False) as bar:
        task = bar.add_task(source, total=expected_rows(path))

        def advance(report) -> None:
            bar.update(task, completed=report.received)

        yield advance
        bar.update(task, total=bar.tasks[0].completed)
