"""The analysis of one bundle, end to end: ingest, features, detectors, model, campaigns.

    analysis = analyze("bundle/", engine="duckdb", model=NumberModel.load("model.joblib"))
    analysis.numbers          # one row per calling number: signals, score, category, reasons
    write_numbers(analysis.numbers, Path("out/numbers.csv"))

Everything up to the per-number features runs in the engine (Ibis); from there on the data
is one row per number and the detectors and the model run in Python, identically whatever
the engine.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa

from ringfence.analytics import features as feats
from ringfence.analytics.campaigns import campaigns, enterprise_scores
from ringfence.analytics.detectors import detect
from ringfence.analytics.engines import connect, stager
from ringfence.analytics.ingest import Ingested, TableCount, ingest, register
from ringfence.analytics.labels import CALLER_COLUMNS, blind, load_labels
from ringfence.analytics.model import NumberModel, train
from ringfence.analytics.scoring import NORMAL, THRESHOLD, score
from ringfence.analytics.signals import derive
from ringfence.bundle import Bundle, Reject

#: The columns of ``numbers.csv`` (DESIGN.md).
NUMBERS_COLUMNS = ("number", "score", "category", "reasons")


@dataclass
class Analysis:
    """What ``ringfence analyze`` found in one bundle."""

    engine: str
    numbers: pd.DataFrame
    campaigns: pd.DataFrame
    enterprises: pd.DataFrame
    #: Calls per local hour of day (0-23) and category of the calling number.
    hourly: pd.DataFrame
    counts: list[TableCount]
    rejects: list[Reject]
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def flagged(self) -> pd.DataFrame:
        """The numbers scored at or above the decision threshold, highest first."""
        hits = self.numbers[self.numbers["score"] >= THRESHOLD]
        return hits.sort_values(["score", "calls"], ascending=False)


def score_features(features: pd.DataFrame, model: NumberModel | None) -> pd.DataFrame:
    """Signals, detectors and the combined score for collected features (one row per number)."""
    signals = derive(features)
    return score(signals, detect(signals), model)


def _hourly(data: Ingested, scored: pd.DataFrame) -> pd.DataFrame:
    """Calls per local hour and category; numbers scored below the threshold count as normal."""
    flagged = scored.loc[scored["score"] >= THRESHOLD, ["number", "category"]]
    marks = register(
        pa.Table.from_pandas(flagged, preserve_index=False).cast(
            pa.schema([("number", pa.string()), ("category", pa.string())])
        ),
    )
    calls = data.calls
    joined = calls.left_join(marks, calls.caller == marks.number)
    hours = joined.select(
        hour=(joined.local_s // feats.HOUR_S) % 24, category=joined.category.fill_null(NORMAL)
    )
    out = data.con.to_pandas(hours.group_by(["hour", "category"]).aggregate(calls=hours.count()))
    return out.sort_values(["hour", "category"], ignore_index=True)


def analyze(
    bundle: Bundle | str | Path, *, engine: str = "duckdb", model: NumberModel | None = None
) -> Analysis:
    """Analyse ``bundle`` on ``engine``; without ``model`` only the detectors score."""
    clock = time.perf_counter()
    seconds: dict[str, float] = {}

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[name] = now - clock
        clock = now

    data = ingest(bundle, connect(engine))
    lap("ingest")
    collected = feats.collect(
        data.con, feats.number_features(data.calls, data.registry, stager(data.con))
    )
    lap("features")
    scored = score_features(collected, model)
    lap("scoring")
    enterprises = data.con.to_pandas(data.registry["enterprises"])
    result = Analysis(
        engine,
        scored,
        campaigns(scored),
        enterprise_scores(scored, enterprises),
        _hourly(data, scored),
        data.counts,
        data.rejects,
        seconds,
    )
    lap("campaigns")
    return result


def training_table(
    bundle: Bundle, labels: str, engine: str = "duckdb"
) -> tuple[pd.DataFrame, pd.Series]:
    """The model's inputs for every calling number of ``bundle`` that ``labels`` names, and
    those labels (aligned). Numbers without a label are left out; with registry labels the
    inputs the labels are read from are blanked (:func:`ringfence.analytics.labels.blind`)."""
    data = ingest(bundle, connect(engine))
    collected = feats.collect(
        data.con, feats.number_features(data.calls, data.registry, stager(data.con))
    )
    signals = derive(collected)
    table = pd.concat([signals, detect(signals).astype(int)], axis=1)
    known = load_labels(labels, bundle, collected.loc[:, list(CALLER_COLUMNS)])
    table = table[table["number"].isin(known.index)].reset_index(drop=True)
    return blind(table, labels), known.loc[table["number"]].reset_index(drop=True)


def train_on(sources: list[tuple[Bundle, str]], engine: str = "duckdb") -> NumberModel:
    """A model trained on every (bundle, labels) pair of ``sources`` together."""
    parts = [training_table(bundle, labels, engine) for bundle, labels in sources]
    return train(
        pd.concat([t for t, _ in parts], ignore_index=True),
        pd.concat([y for _, y in parts], ignore_index=True),
    )


def write_numbers(numbers: pd.DataFrame, path: Path) -> None:
    """Write ``numbers.csv``: ``number,score,category,reasons``, highest score first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    ordered = numbers.sort_values(["score", "number"], ascending=[False, True])
    ordered.loc[:, list(NUMBERS_COLUMNS)].to_csv(path, index=False, float_format="%.4f")
