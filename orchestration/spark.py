"""The SparkSession of the `spark` target, one per process, built from profiles.yml's own
`server_side_parameters` so that dbt and Vigie's Python steps run on one configuration.

The local catalog is an embedded Derby database that one process holds until it exits, so
everything that touches a local Spark warehouse runs in the process that built this session:
the Python steps here, and dbt in-process (dbt-spark's `session` method picks up the running
session through SparkSession.builder.getOrCreate).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import jinja2
import yaml

PROFILE = "vigie"
SPARK_OUTPUT = "spark"
ERR_NO_PYSPARK = ("the spark target needs pyspark and dbt-spark: "
                  'pip install -e ".[spark]"')

ERR_OTHER_WAREHOUSE = ("this process's Spark session serves the warehouse {serves}, not "
                       "{wanted}: a process serves one local Spark warehouse")

_lock = threading.Lock()


def session_parameters(project_dir: str | Path, env: dict[str, str]) -> dict[str, str]:
    """profiles.yml's spark `server_side_parameters`, rendered with `env` as dbt renders them
    (env_var with its default)."""
    profiles = yaml.safe_load((Path(project_dir) / "profiles.yml").read_text())
    raw = profiles[PROFILE]["outputs"][SPARK_OUTPUT]["server_side_parameters"]

    def env_var(name: str, default: str | None = None) -> str:
        if name in env:
            return env[name]
        if default is None:
            raise KeyError(f"profiles.yml needs the environment variable {name}")
        return default

    jinja = jinja2.Environment(undefined=jinja2.StrictUndefined)
    return {key: jinja.from_string(str(value)).render(env_var=env_var)
            for key, value in raw.items()}


def spark_session(project_dir: str | Path, env: dict[str, str]):
    """This process's SparkSession for the warehouse `env` points at (created on first use):
    a Spark Connect session to a cluster when VIGIE_SPARK_REMOTE is set, else a local one.

    The environment of the process is then updated with `env`, so an in-process dbt run
    renders profiles.yml to the same parameters.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # the optional extra is not installed
        raise RuntimeError(ERR_NO_PYSPARK) from exc
    with _lock:
        if env.get("VIGIE_SPARK_REMOTE"):
            # The cluster keeps its own configuration; a client sets only its session's.
            session = SparkSession.builder.remote(env["VIGIE_SPARK_REMOTE"]).getOrCreate()
            session.conf.set("spark.sql.session.timeZone", "UTC")
            session.conf.set("spark.sql.ansi.enabled", "false")
            return session
        parameters = session_parameters(project_dir, env)
        Path(parameters["spark.sql.warehouse.dir"]).mkdir(parents=True, exist_ok=True)
        builder = SparkSession.builder.appName("vigie").enableHiveSupport()
        for key, value in parameters.items():
            builder = builder.config(key, value)
        # dbt-spark sets this on its own connections; the Python steps' SQL runs the same way.
        builder = builder.config("spark.sql.ansi.enabled", "false")
        session = builder.getOrCreate()
        session.sparkContext.setLogLevel("ERROR")
        serves = session.conf.get("spark.sql.warehouse.dir").removeprefix("file:")
        wanted = parameters["spark.sql.warehouse.dir"]
        if Path(serves).resolve() != Path(wanted).resolve():
            # getOrCreate keeps the first session's warehouse and catalog: a second one here
            # would be read and written as if it were the first.
            raise RuntimeError(ERR_OTHER_WAREHOUSE.format(serves=serves, wanted=wanted))
        os.environ.update(env)
        return session
