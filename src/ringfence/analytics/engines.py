"""The engines the analytics run on: DuckDB embedded (default) or Spark, behind one Ibis backend.

The pipeline is written once against Ibis; an engine only decides where its expressions run.

    con = connect("duckdb")                # in-process, all cores
    con = connect("spark")                 # local[2] here; RINGFENCE_SPARK_MASTER for a cluster

Spark sessions are costly to start (seconds, a JVM), so one session is made per process and
shared by every Spark connection (:func:`spark_session`).
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Callable
from typing import Any, Literal, cast, get_args

import ibis
import ibis.expr.types as ir
from ibis.backends import BaseBackend

from ringfence.core.errors import PolicyError

Engine = Literal["duckdb", "spark"]
ENGINES: tuple[str, ...] = get_args(Engine)

#: Where Spark runs unless ``RINGFENCE_SPARK_MASTER`` names a cluster (``spark://host:7077``).
DEFAULT_SPARK_MASTER = "local[2]"

_SPARK_CONF = {
    # A handful of partitions: the per-number tables are small and every shuffle partition
    # costs a task; the default of 200 makes a small bundle take minutes.
    "spark.sql.shuffle.partitions": "4",
    # Times are epoch seconds computed from UTC instants: the session zone must not shift them.
    "spark.sql.session.timeZone": "UTC",
    "spark.ui.enabled": "false",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.driver.memory": "1g",
}

_session: Any = None


def check_engine(name: str) -> Engine:
    """``name`` as an :data:`Engine`; PolicyError naming the choices if it is none."""
    if name not in ENGINES:
        raise PolicyError(f"unknown analytics engine {name!r}: choose one of {', '.join(ENGINES)}")
    return cast(Engine, name)


def spark_available() -> str | None:
    """None when Spark can run here, else why not (pyspark missing, no Java)."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install 'ibis-framework[pyspark]')"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "no Java runtime (install Java 17 or set JAVA_HOME)"
    return None


def spark_session() -> Any:
    """The process's SparkSession, started on first use with the settings above."""
    global _session
    if _session is None:
        problem = spark_available()
        if problem is not None:
            raise PolicyError(f"the spark engine cannot run: {problem}")
        from pyspark.sql import SparkSession

        builder = SparkSession.builder.master(
            os.environ.get("RINGFENCE_SPARK_MASTER", DEFAULT_SPARK_MASTER)
        ).appName("ringfence-analytics")
        for key, value in _SPARK_CONF.items():
            builder = builder.config(key, value)
        _session = builder.getOrCreate()
        _session.sparkContext.setLogLevel("ERROR")
    return _session


def stager(con: BaseBackend) -> Callable[[ir.Table], ir.Table]:
    """How ``con`` keeps an intermediate table that several parts of the pipeline read.

    DuckDB would otherwise recompute it for every reader (it does not share common
    subexpressions across a large query), so it is written to a temporary table; Spark plans
    the whole query at once and gets it unchanged.
    """
    if con.name != "duckdb":
        return lambda table: table
    names = itertools.count(1)
    return lambda table: con.create_table(f"rf_stage_{next(names)}", table, temp=True)


def connect(engine: str = "duckdb") -> BaseBackend:
    """A fresh Ibis connection on ``engine`` (DuckDB: a private in-memory database)."""
    if check_engine(engine) == "spark":
        return ibis.pyspark.connect(spark_session())
    con = ibis.duckdb.connect()
    # DuckDB draws a progress bar on the terminal for long queries; the CLI has its own output.
    con.raw_sql("SET enable_progress_bar = false")
    return con
