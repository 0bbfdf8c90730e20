"""Peak memory of a stage: each stage runs in a fresh process, started by a small launcher so
that its ru_maxrss is its own."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Any

# A child forked from this process starts with this process's pages, and Linux keeps their
# high-water mark in the child's ru_maxrss across exec: `python -c pass` started from a parent
# of 500 MiB reports 500 MiB. This launcher (a few MiB, no site packages) forks the command
# from its own small address space, waits for it and writes the command's exit code, wall time
# and ru_maxrss (the command's and its waited-for children's) to the file named first, and
# exits as the command did.
LAUNCHER = """
import json, os, sys, time
started = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(sys.argv[2], sys.argv[2:])
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - started
code = os.waitstatus_to_exitcode(status)
with open(sys.argv[1], "w") as handle:
    json.dump({"exit_code": code, "seconds": seconds, "peak_rss_kib": usage.ru_maxrss}, handle)
sys.exit(code if code >= 0 else 128 - code)
"""


def own_peak_rss_mib() -> float:
    """Largest RSS of this process or any waited-for child (ru_maxrss, KiB on Linux)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def run_stage_process(stage: str, args: list[str], *, env: dict[str, str] | None = None,
                      timeout: float | None = None) -> dict[str, Any]:
    """Run `python -m bench.stages STAGE ARGS` in a fresh process; its JSON result, plus the
    wall time seen from here. A fresh process per stage keeps one stage's peak RSS from hiding
    the next one's."""
    command = [sys.executable, "-m", "bench.stages", stage, *args]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:  # the launcher, so its ru_maxrss is its own
        proc = subprocess.run(launched(command, Path(tmp) / "rusage.json"), capture_output=True,
                              text=True, env=env, timeout=timeout, check=False)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"bench stage {stage!r} failed with exit code {proc.returncode}:\n"
                           + proc.stderr[-4000:])
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["wall_seconds"] = seconds
    return result


def launched(command: list[str], report: Path) -> list[str]:
    """`command` started by LAUNCHER, which writes its measures to `report`."""
    return [sys.executable, "-S", "-c", LAUNCHER, str(report), *command]


def run_measured(command: list[str], *, cwd: str | Path | None = None,
                 env: dict[str, str] | None = None, stdout: IO | None = None,
                 stderr: IO | None = None) -> dict[str, Any]:
    """Run `command` through LAUNCHER: its exit code, wall seconds (from its start to its exit)
    and peak RSS in MiB, its own and not this process's. Also the peak of the summed RSS of
    its whole process tree, sampled every SAMPLE_SECONDS (peak_tree_rss_mib): a local Spark's
    JVM is a child its Python never waits for, so ru_maxrss leaves it out."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "rusage.json"
        proc = subprocess.Popen(launched(command, report), cwd=cwd, env=env, stdout=stdout,
                                stderr=stderr)
        tree_peak_kib = 0
        while proc.poll() is None:
            tree_peak_kib = max(tree_peak_kib, tree_rss_kib(proc.pid))
            time.sleep(SAMPLE_SECONDS)
        measured = json.loads(report.read_text())
    return {"exit_code": measured["exit_code"], "wall_seconds": measured["seconds"],
            "peak_rss_mib": measured["peak_rss_kib"] / 1024,
            "peak_tree_rss_mib": max(tree_peak_kib, measured["peak_rss_kib"]) / 1024}


SAMPLE_SECONDS = 0.5


def tree_rss_kib(root: int) -> int:
    """Summed VmRSS of `root` and its descendants, from /proc (pages shared between them count
    once per process, so this errs high)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:  # the process ended while we looked
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        pid = int(entry.name)
        children.setdefault(int(fields["PPid"].strip()), []).append(pid)
        rss[pid] = int(fields.get("VmRSS", "0 kB").split()[0])
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total
