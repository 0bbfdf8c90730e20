"""A Spark "cluster" on this machine for the tests of the cluster path: one JVM running Spark's
Thrift server (what dbt-spark's thrift method talks to) with the Spark Connect plugin (what the
Python steps talk to), both over one catalog, started from the pyspark package's own jars."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

from orchestration.dbt_runner import _die_with_parent

STARTED = "HiveThriftServer2 started"
START_TIMEOUT = 180


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class SparkCluster:
    """Start with `start()`, stop with `stop()`; `thrift_port` and `connect_url` say where."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.thrift_port = free_port()
        self.connect_port = free_port()
        self.connect_url = f"sc://127.0.0.1:{self.connect_port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> SparkCluster:
        import pyspark
        home = Path(pyspark.__file__).parent
        self.folder.mkdir(parents=True, exist_ok=True)
        log = (self.folder / "server.log").open("w")
        command = [
            str(home / "bin" / "spark-submit"),
            "--class", "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2",
            "--master", "local[2]", "--driver-memory", "2g",
            "--conf", "spark.plugins=org.apache.spark.sql.connect.SparkConnectPlugin",
            "--conf", f"spark.connect.grpc.binding.port={self.connect_port}",
            "--conf", f"spark.sql.warehouse.dir={self.folder / 'tables'}",
            "--conf", "spark.sql.session.timeZone=UTC",
            "--conf", "spark.sql.sources.partitionOverwriteMode=dynamic",
            "--conf", "spark.sql.shuffle.partitions=4",
            "--conf", "spark.ui.enabled=false",
            "--conf", "spark.driver.extraJavaOptions=-Duser.timezone=UTC",
            "--hiveconf", f"hive.server2.thrift.port={self.thrift_port}",
            "--hiveconf", "hive.server2.thrift.bind.host=127.0.0.1",
            "spark-internal",
        ]
        env = {**os.environ, "SPARK_HOME": str(home)}
        # Stopped with the test process even when it is killed: a server left behind would
        # hold its ports and two cores' worth of threads.
        parent = os.getpid()
        self.process = subprocess.Popen(command, cwd=self.folder, env=env, stdout=log,
                                        stderr=subprocess.STDOUT, start_new_session=True,
                                        preexec_fn=lambda: _die_with_parent(parent))
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the Spark server stopped: see {self.folder / 'server.log'}")
            if (STARTED in (self.folder / "server.log").read_text(errors="replace")
                    and listening(self.connect_port)):
                return self
            time.sleep(1)
        self.stop()
        raise RuntimeError(f"the Spark server did not start in {START_TIMEOUT}s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait()
