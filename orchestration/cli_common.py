"""What every `vigie` verb shares: one-line errors, the --target option, the warehouse."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from functools import wraps

import click

from orchestration.dbt_runner import DbtError
from orchestration.ingest import DEFAULT_CHUNK_SIZE
from orchestration.readers import ReaderError
from orchestration.registry import RegistryError
from orchestration.warehouse import TARGETS, Warehouse, WarehouseConfig, WarehouseError

SCENARIOS = ("clean", "gradual", "sudden", "migration", "concept", "correlation", "weekly")
EXPECTED_ERRORS = (WarehouseError, ReaderError, DbtError, RegistryError, ValueError, OSError)
DEBUG_ENV = "VIGIE_DEBUG"  # set to 1 to see the traceback of an unexpected error


def say(message: str) -> None:
    click.echo(message, err=True)


def one_line_errors(command: Callable) -> Callable:
    """Turn an expected failure into one line on stderr and exit code 1, never a traceback."""

    @wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except EXPECTED_ERRORS as exc:
            text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            click.echo(f"vigie: error: {text}", err=True)
            sys.exit(1)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:  # a failure nobody foresaw: still one line and an exit code
            if os.environ.get(DEBUG_ENV) == "1":
                raise
            text = (str(exc).strip().splitlines() or [""])[0]
            click.echo(f"vigie: error: {type(exc).__name__}: {text} "
                       f"(set {DEBUG_ENV}=1 for the traceback)", err=True)
            sys.exit(1)

    return wrapper


class OneLineErrorGroup(click.Group):
    """Usage errors (an unknown option, a bad --target) as one line too, exit code 2."""

    def main(self, *args, **kwargs):
        kwargs["standalone_mode"] = False
        try:
            return super().main(*args, **kwargs)
        except click.ClickException as exc:
            click.echo(f"vigie: error: {exc.format_message().splitlines()[0]}", err=True)
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("vigie: interrupted", err=True)
            sys.exit(130)


target_option = click.option(
    "--target", type=click.Choice(TARGETS), default=None,
    help="Warehouse to use (default: $VIGIE_TARGET or duckdb).")


chunk_size_option = click.option(
    "--chunk-size", type=click.IntRange(min=1), default=DEFAULT_CHUNK_SIZE, show_default=True,
    help="Rows per transaction: an interrupted ingestion loses at most one chunk, and a re-run "
         "stores the rest.")


def warehouse_for(target: str | None) -> Warehouse:
    return Warehouse(WarehouseConfig.from_env(target=target))
