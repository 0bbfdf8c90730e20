"""Writes requests through `orchestration.ingest.ingest_records`, the file ingestion's code path.

DuckDB takes one writer at a time: `QueuedWriter` puts every request on a short queue that one
task drains, handing all the requests waiting at that moment to a single `ingest_records` call,
one chunk per request, so many small requests share one connection instead of fighting for the
file. Each request still gets its own counts: `ingest_records` reports its running total after
every chunk, and a request's counts are the difference between two of them. PostgreSQL takes
concurrent writers: `DirectWriter` runs each request's `ingest_records` at once, in a thread.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from models_ml.raw_validation import ContractRules
from orchestration.ingest import ingest_records
from orchestration.ingest_store import IngestReport
from orchestration.readers import RawRecord
from orchestration.warehouse import Warehouse

ERR_UNATTRIBUTABLE = ("ingestion reported {reported} progress steps for {expected} requests: "
                      "their rows are stored, but each request's counts are unknown (send it "
                      "again: what was stored counts as duplicates)")


class CountsUnattributable(RuntimeError):
    """The running totals of one ingestion cannot be split into per-request counts."""


@dataclass(frozen=True)
class Counts:
    """One request's share of an ingestion."""

    received: int
    accepted: int
    duplicates: int
    quarantined: int
    reasons: dict[str, int]


def _snapshot(report: IngestReport) -> Counts:
    return Counts(report.received, report.accepted, report.already_present, report.quarantined,
                  dict(report.reasons))


def split_totals(totals: list[Counts], sizes: list[int]) -> list[Counts]:
    """Per-request counts from running totals taken after each request's chunk."""
    if len(totals) != len(sizes):
        raise CountsUnattributable(ERR_UNATTRIBUTABLE.format(reported=len(totals),
                                                             expected=len(sizes)))
    shares, before = [], Counts(0, 0, 0, 0, {})
    for after, size in zip(totals, sizes, strict=True):
        reasons = Counter(after.reasons)
        reasons.subtract(before.reasons)
        share = Counts(after.received - before.received, after.accepted - before.accepted,
                       after.duplicates - before.duplicates,
                       after.quarantined - before.quarantined,
                       {r: n for r, n in reasons.items() if n})
        if share.received != size or min(share.accepted, share.duplicates,
                                         share.quarantined) < 0:
            raise CountsUnattributable(ERR_UNATTRIBUTABLE.format(reported=len(totals),
                                                                 expected=len(sizes)))
        shares.append(share)
        before = after
    return shares


class Ingestor:
    """Runs one `ingest_records` call over several requests of one source (blocking)."""

    def __init__(self, warehouse: Warehouse, rules: ContractRules):
        self.warehouse = warehouse
        self.rules = rules

    def __call__(self, source: str, requests: list[list[RawRecord]]) -> list[Counts]:
        totals: list[Counts] = []
        ingest_records(self.warehouse, source, iter(requests), rules=self.rules,
                       source_file=f"api:/v1/{source}",
                       progress=lambda report: totals.append(_snapshot(report)))
        return split_totals(totals, [len(r) for r in requests])


IngestFunction = Callable[[str, list[list[RawRecord]]], list[Counts]]


class DirectWriter:
    """Each request in its own thread, at once (PostgreSQL takes concurrent writers)."""

    def __init__(self, ingest: IngestFunction):
        self.ingest = ingest

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def submit(self, source: str, records: list[RawRecord]) -> Counts:
        (counts,) = await asyncio.to_thread(self.ingest, source, [records])
        return counts


@dataclass
class _Job:
    source: str
    records: list[RawRecord]
    answer: asyncio.Future


class QueuedWriter:
    """One task drains a short queue: the requests waiting are written by one ingestion call
    per run of the same source, in the order they arrived (feedback after the predictions
    it follows), one connection at a time."""

    def __init__(self, ingest: IngestFunction, *, max_rows: int, queue_size: int):
        self.ingest = ingest
        self.max_rows = max_rows
        self.queue: asyncio.Queue[_Job | None] = asyncio.Queue(maxsize=queue_size)
        self.task: asyncio.Task | None = None

    async def start(self) -> None:
        self.task = asyncio.create_task(self._drain(), name="vigie-duckdb-writer")

    async def stop(self) -> None:
        """Write what is queued, then stop."""
        if self.task is None:
            return
        await self.queue.put(None)
        await self.task
        self.task = None

    async def submit(self, source: str, records: list[RawRecord]) -> Counts:
        if self.task is None or self.task.done():
            raise RuntimeError("the DuckDB writer is not running")
        job = _Job(source, records, asyncio.get_running_loop().create_future())
        await self.queue.put(job)  # a full queue makes the request wait: backpressure
        return await job.answer

    async def _drain(self) -> None:
        while True:
            job = await self.queue.get()
            if job is None:
                return
            batch, rows, stopping = [job], len(job.records), False
            while rows < self.max_rows and not self.queue.empty():
                more = self.queue.get_nowait()
                if more is None:
                    stopping = True
                    break
                batch.append(more)
                rows += len(more.records)
            for run in _runs_of_one_source(batch):
                await self._write(run)
            if stopping:
                return

    async def _write(self, run: list[_Job]) -> None:
        try:
            shares = await asyncio.to_thread(self.ingest, run[0].source,
                                             [j.records for j in run])
        except Exception as exc:  # every request of the run hears why; the writer goes on
            for job in run:
                if not job.answer.done():
                    job.answer.set_exception(exc)
            return
        for job, share in zip(run, shares, strict=True):
            if not job.answer.done():
                job.answer.set_result(share)


def _runs_of_one_source(batch: list[_Job]) -> list[list[_Job]]:
    runs: list[list[_Job]] = []
    for job in batch:
        if runs and runs[-1][0].source == job.source:
            runs[-1].append(job)
        else:
            runs.append([job])
    return runs
