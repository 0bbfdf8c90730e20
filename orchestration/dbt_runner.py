"""Run dbt as a subprocess against a chosen warehouse (the CLI's path; Dagster uses dagster-dbt)."""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

from orchestration.warehouse import WarehouseConfig

ERR_DBT_STOPPED = "dbt {command} stopped by {signal} (its processes were stopped too)"
ERR_DBT_FAILED = "dbt {command} failed on the {target} warehouse (exit {code}), see its output"


class DbtError(RuntimeError):
    """dbt exited non-zero."""


# Linux: the child gets SIGKILL when its parent dies, even of SIGKILL, so a killed `vigie build`
# never leaves dbt running and holding the DuckDB file's lock. SIGKILL rather than SIGTERM: dbt
# handles SIGTERM by cancelling its work, which took over 20 s on a loaded machine, and nobody is
# left to wait for it; the warehouse's own transactions keep the file consistent.
PR_SET_PDEATHSIG = 1
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None
STOP_GRACE_SECONDS = 10


def _die_with_parent(parent_pid: int) -> None:
    """Runs in the child between fork and exec."""
    _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent_pid:  # the parent died before prctl: nobody would wait for us
        os._exit(1)


def run_own_group(command: list[str], *, cwd: str, env: dict[str, str],
                  capture: bool) -> subprocess.CompletedProcess:
    """Run `command` in its own process group, stopped with it when this process is told to
    stop (SIGTERM, SIGINT) and, on Linux, when this process dies."""
    parent = os.getpid()
    pipe = subprocess.PIPE if capture else None
    proc = subprocess.Popen(command, cwd=cwd, env=env, text=True, stdout=pipe, stderr=pipe,
                            start_new_session=True,
                            preexec_fn=(lambda: _die_with_parent(parent)) if _LIBC else None)

    def stop(signum, _frame):
        # Only signal here: the interrupted wait holds the child's wait lock, so the waiting
        # (and SIGKILL after a grace period) happens below, once the stack has unwound.
        _signal_group(proc, signal.SIGTERM)
        raise DbtError(ERR_DBT_STOPPED.format(command=" ".join(command[1:2]),
                                              signal=signal.Signals(signum).name))

    previous = {}
    if threading.current_thread() is threading.main_thread():
        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        stdout, stderr = proc.communicate()
    except BaseException:
        _stop_group(proc)
        raise
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return subprocess.CompletedProcess(command, proc.returncode, stdout, stderr)


def _stop_group(proc: subprocess.Popen) -> None:
    """SIGTERM to the child's process group, SIGKILL if it has not gone after a grace period."""
    if proc.poll() is not None:
        return
    _signal_group(proc, signal.SIGTERM)
    try:
        proc.wait(timeout=STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        _signal_group(proc, signal.SIGKILL)
        proc.wait()


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass


def dbt_executable() -> str:
    """The dbt next to this interpreter, so a venv's dbt is used even when not on PATH."""
    local = Path(sys.executable).with_name("dbt")
    return str(local) if local.exists() else (shutil.which("dbt") or "dbt")


def ensure_dbt_on_path() -> None:
    """Put this interpreter's bin folder on PATH: dagster-dbt looks dbt up by name, and a venv
    used without activation (`.venv/bin/python -m pytest`, `.venv/bin/vigie`) is not on PATH."""
    bin_dir = str(Path(sys.executable).parent)
    if (Path(bin_dir) / "dbt").exists() and bin_dir not in os.environ.get("PATH", "").split(
            os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")


# dbt's unit tests check the SQL, not the data: they belong to CI (`dbt build` run directly, and
# tests/python/test_dbt_unit_tests.py on every engine), not to every build of a warehouse, as
# dbt's own documentation advises. On a small warehouse they were a quarter of a build's time.
PRODUCTION_DBT_ENV = {"DBT_EXCLUDE_RESOURCE_TYPES": "unit_test"}


def dbt_overrides(config: WarehouseConfig, target_path: str | Path | None = None
                  ) -> dict[str, str]:
    """The variables every dbt call of Vigie sets, from the CLI (run_dbt) and from Dagster
    (resources.dbt_environment): profiles.yml's VIGIE_*, dbt's target and log folders, and
    PRODUCTION_DBT_ENV."""
    values = dict(config.dbt_env()) | PRODUCTION_DBT_ENV
    if target_path:
        values["DBT_TARGET_PATH"] = str(target_path)
        values["DBT_LOG_PATH"] = str(Path(target_path) / "logs")
    return values


def dbt_env(config: WarehouseConfig, target_path: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(dbt_overrides(config, target_path))
    env["DBT_PROFILES_DIR"] = config.project_dir
    env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    return env


def run_dbt(
    args: list[str],
    config: WarehouseConfig,
    *,
    target_path: str | None = None,
    capture: bool = False,
    check: bool = True,
) -> subprocess.CompletedProcess:
    """Run `dbt <args>` in the project directory with profiles.yml pointed at `config`."""
    if config.local_spark:
        proc = run_dbt_in_process(args, config, target_path=target_path)
        if check and proc.returncode != 0:
            raise DbtError(ERR_DBT_FAILED.format(command=args[0], target=config.target,
                                                 code=proc.returncode))
        return proc
    command = [dbt_executable(), *args, "--target", config.dbt_target]
    proc = run_own_group(command, cwd=config.project_dir, env=dbt_env(config, target_path),
                         capture=capture)
    if check and proc.returncode != 0:
        if capture:
            sys.stderr.write(proc.stdout[-20000:] + proc.stderr[-5000:])
        raise DbtError(ERR_DBT_FAILED.format(command=args[0], target=config.target,
                                             code=proc.returncode))
    return proc


def run_dbt_in_process(args: list[str], config: WarehouseConfig, *,
                       target_path: str | Path | None = None, project_dir: str | None = None,
                       callbacks: list | None = None) -> subprocess.CompletedProcess:
    """`dbt <args>` inside this process, on its SparkSession: a local Spark catalog belongs to
    one process (orchestration/spark.py), so dbt cannot be a second one. dbt writes its output
    to this process's stdout; the exit code is 0, 1 (failures) or 2 (dbt could not run).
    project_dir: another copy of the project (dagster-dbt's, for a large selection);
    callbacks: called with each of dbt's events."""
    from dbt.cli.main import dbtRunner

    from orchestration.spark import spark_session

    # The session sets the VIGIE_* variables in this process, for dbt's profiles.yml.
    spark_session(config.project_dir, config.dbt_env())
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    # PRODUCTION_DBT_ENV as flags: this process's environment is the caller's, not dbt's own.
    excluded = (["--exclude-resource-type", PRODUCTION_DBT_ENV["DBT_EXCLUDE_RESOURCE_TYPES"]]
                if args[:1] == ["build"] else [])
    command = [*args, *excluded, "--target", config.dbt_target,
               "--project-dir", project_dir or config.project_dir,
               "--profiles-dir", config.project_dir]
    if target_path:
        command += ["--target-path", str(target_path),
                    "--log-path", str(Path(target_path) / "logs")]
    result = dbtRunner(callbacks=callbacks or []).invoke(command)
    code = 0 if result.success else (2 if result.exception is not None else 1)
    return subprocess.CompletedProcess(["dbt", *command], code, "", "")
