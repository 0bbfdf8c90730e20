"""Peak memory of a stage: each stage runs in a fresh process that reports its own ru_maxrss."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from typing import Any


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
    proc = subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout,
                          check=False)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"bench stage {stage!r} failed with exit code {proc.returncode}:\n"
                           + proc.stderr[-4000:])
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["wall_seconds"] = seconds
    return result
