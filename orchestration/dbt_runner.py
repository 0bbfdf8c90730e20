"""Run dbt as a subprocess against a chosen warehouse (the CLI's path; Dagster uses dagster-dbt)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from orchestration.warehouse import WarehouseConfig

ERR_DBT_FAILED = "dbt {command} failed on the {target} warehouse (exit {code}), see its output"


class DbtError(RuntimeError):
    """dbt exited non-zero."""


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


def dbt_env(config: WarehouseConfig, target_path: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(config.dbt_env())
    env["DBT_PROFILES_DIR"] = config.project_dir
    env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    if target_path:
        env["DBT_TARGET_PATH"] = target_path
        env["DBT_LOG_PATH"] = str(Path(target_path) / "logs")
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
    command = [dbt_executable(), *args, "--target", config.target]
    proc = subprocess.run(
        command,
        cwd=config.project_dir,
        env=dbt_env(config, target_path),
        text=True,
        capture_output=capture,
        check=False,
    )
    if check and proc.returncode != 0:
        if capture:
            sys.stderr.write(proc.stdout[-20000:] + proc.stderr[-5000:])
        raise DbtError(ERR_DBT_FAILED.format(command=args[0], target=config.target,
                                             code=proc.returncode))
    return proc
