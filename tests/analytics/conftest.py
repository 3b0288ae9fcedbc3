"""Shared fixtures of the analytics tests: tiny simulated bundles, a model, and the engines.

The ``engine`` fixture runs a test on DuckDB and on Spark (one SparkSession for the whole
session, local[2]). Spark tests skip with the reason when pyspark or Java is missing, and
fail instead when ``CI=true``: CI must run both engines.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ringfence.analytics.engines import spark_available
from ringfence.analytics.model import NumberModel
from ringfence.analytics.pipeline import train_on
from ringfence.bundle import Bundle
from ringfence.sim import SimConfig, simulate, write

#: Seeds of the test bundles; the quality figures are measured on other seeds (README).
ANALYSED_SEED, TRAINING_SEED = 3, 4
SUBSCRIBERS = 1_000


def _city(root: Path, seed: int) -> Path:
    target = root / f"city{seed}"
    write(simulate(SimConfig(subscribers=SUBSCRIBERS, seed=seed)), target)
    return target


@pytest.fixture(scope="session")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small simulated bundle (CSV, truth included) that the tests analyse."""
    return _city(tmp_path_factory.mktemp("analytics"), ANALYSED_SEED)


@pytest.fixture(scope="session")
def model(tmp_path_factory: pytest.TempPathFactory) -> NumberModel:
    """A model trained on another small city's registry labels (sanctions, reports)."""
    training = _city(tmp_path_factory.mktemp("training"), TRAINING_SEED)
    return train_on([(Bundle(training), "registry")])


def require_spark() -> None:
    """Skip (or fail under CI=true) when the Spark engine cannot run here."""
    problem = spark_available()
    if problem is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"Spark engine unavailable under CI=true: {problem}")
    pytest.skip(f"Spark engine unavailable ({problem}); install pyspark and Java 17 to run")


@pytest.fixture(params=["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def engine(request: pytest.FixtureRequest) -> str:
    """Each engine in turn."""
    if request.param == "spark":
        require_spark()
    return str(request.param)
