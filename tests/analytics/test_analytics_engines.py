"""The same analysis on DuckDB and on Spark: identical features, scores and categories."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from tests.analytics.conftest import require_spark

from ringfence.analytics.model import NumberModel
from ringfence.analytics.pipeline import Analysis, analyze

_RESULTS: dict[str, Analysis] = {}


def _analysis(city: Path, engine: str, model: NumberModel) -> Analysis:
    """One analysis per engine for the whole module (Spark is slow to plan queries)."""
    if engine not in _RESULTS:
        _RESULTS[engine] = analyze(city, engine=engine, model=model)
    return _RESULTS[engine]


def test_every_calling_number_gets_one_score_in_range(
    city: Path, engine: str, model: NumberModel
) -> None:
    analysis = _analysis(city, engine, model)
    numbers = analysis.numbers
    cdrs = pd.read_csv(city / "cdrs.csv", dtype=str, keep_default_na=False)
    assert sorted(numbers["number"]) == sorted(set(cdrs["caller"]) - {""})
    assert numbers["score"].between(0, 1).all()
    assert int(numbers["calls"].sum()) == int((cdrs["caller"] != "").sum())


def test_counts_reconcile(city: Path, engine: str, model: NumberModel) -> None:
    analysis = _analysis(city, engine, model)
    for count in analysis.counts:
        assert count.read == count.accepted + count.rejected, count
    assert len(analysis.rejects) == sum(c.rejected for c in analysis.counts)


def test_campaigns_group_rotating_numbers(city: Path, engine: str, model: NumberModel) -> None:
    campaigns = _analysis(city, engine, model).campaigns
    bombing = campaigns[campaigns["campaign"].str.startswith("target:")]
    assert (bombing["numbers"] > 1).any(), campaigns


@pytest.mark.spark
def test_spark_gives_the_same_numbers_and_scores_as_duckdb(city: Path, model: NumberModel) -> None:
    require_spark()
    duck = _analysis(city, "duckdb", model).numbers
    spark = _analysis(city, "spark", model).numbers
    pd.testing.assert_frame_equal(duck, spark, check_dtype=False)
    hourly_duck = _analysis(city, "duckdb", model).hourly
    hourly_spark = _analysis(city, "spark", model).hourly
    pd.testing.assert_frame_equal(hourly_duck, hourly_spark, check_dtype=False)
