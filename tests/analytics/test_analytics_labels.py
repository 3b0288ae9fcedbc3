"""Training labels: a CSV file (0/1 or a role; bad labels name their line), and the registry
labels a carrier holds — sanctions and crowd reports for 1, lines in good standing for 0 —
drawn from a simulated bundle copied *without* its truth tables."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ringfence.analytics.labels import (
    REGISTRY,
    REGISTRY_INPUTS,
    crowd_flagged,
    csv_labels,
    registry_labels,
)
from ringfence.analytics.model import MIN_PER_CLASS, MODEL_INPUTS, NumberModel
from ringfence.analytics.pipeline import train_on
from ringfence.bundle import TABLES, Bundle
from ringfence.bundle.reader import Bundle as ReaderBundle
from ringfence.bundle.schema import ROLE
from ringfence.core.detectors.params import ReportsParams
from ringfence.core.errors import BundleError
from ringfence.evaluate import NUISANCE_ROLES

TRUTH_TABLES = tuple(name for name, schema in TABLES.items() if schema.truth)
_REPORTS = ReportsParams()


@given(st.lists(st.sampled_from(sorted(ROLE | {"0", "1"})), min_size=1, max_size=20))
def test_roles_and_bits_map_to_nuisance_labels(
    tmp_path_factory: pytest.TempPathFactory, labels: list[str]
) -> None:
    path = tmp_path_factory.mktemp("labels") / "labels.csv"
    rows = [f"+8613{i:09d},{label}" for i, label in enumerate(labels)]
    path.write_text("number,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    parsed = csv_labels(path)
    expected = [int(label == "1" or label in NUISANCE_ROLES) for label in labels]
    assert parsed.tolist() == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("number,label\n+8613800000000,maybe\n", "line 2"),
        ("number,role\n+8613800000000,1\n", "number,label"),
    ],
)
def test_bad_label_files_are_refused_with_the_reason(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "labels.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BundleError, match=message):
        csv_labels(path)


# --- crowd reports: the screener's policy, distinct reporters within the window -------------

_T0 = 1_551_398_400.0  # 2019-03-01T00:00:00Z
_DAY = 86_400.0


def _reports(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        [(who, "+8613800000001", category, at) for who, category, at in rows],
        columns=["reporter", "number", "category", "reported_at"],
    )


@pytest.mark.parametrize(
    ("rows", "flagged"),
    [
        ([("abuser", "fraud", _T0 + i) for i in range(50)], False),
        ([(f"r{i % 2}", "fraud", _T0 + i) for i in range(40)], False),
        ([(f"r{i}", "harassment", _T0 + i) for i in range(_REPORTS.min_reporters)], True),
        ([(f"r{i}", "fraud", _T0 + i * 4 * _DAY) for i in range(_REPORTS.min_reporters)], False),
    ],
    ids=["one abusive reporter", "two colluders", "enough distinct reporters", "spread out"],
)
def test_crowd_reports_count_distinct_reporters_within_the_window(
    rows: list[tuple[str, str, float]], flagged: bool
) -> None:
    assert ("+8613800000001" in crowd_flagged(_reports(rows))) is flagged


# --- registry labels on a simulated city without its truth tables ----------------------------


@pytest.fixture
def registry_city(city: Path, tmp_path: Path) -> Path:
    """A copy of the test city without truth tables, whose registry tables a test may edit."""
    copy = tmp_path / "registry-city"
    shutil.copytree(city, copy, ignore=shutil.ignore_patterns("truth_*"))
    return copy


@pytest.fixture(scope="module")
def callers(city: Path) -> pd.DataFrame:
    """Every calling number of the test city with its first and last call (epoch seconds)."""
    cdrs = Bundle(city).read("cdrs").table.to_pandas()
    cdrs = cdrs[cdrs["caller"] != ""]
    seconds = (cdrs["start_time"] - pd.Timestamp(0, tz="UTC")).dt.total_seconds()
    spans = seconds.groupby(cdrs["caller"]).agg(["min", "max"])
    return pd.DataFrame({"number": spans.index, "first_s": spans["min"], "last_s": spans["max"]})


def _rows(bundle: Path, table: str) -> list[dict[str, str]]:
    with (bundle / f"{table}.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _append(bundle: Path, table: str, rows: list[dict[str, str]]) -> None:
    with (bundle / f"{table}.csv").open("a", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(TABLES[table].names))
        writer.writerows(rows)


def _lines(bundle: Path, numbers: Iterable[str], **block: str) -> list[str]:
    """The ``numbers`` inside the blocks whose columns have the values ``block`` gives."""
    blocks = [b for b in _rows(bundle, "number_blocks") if all(b[k] == v for k, v in block.items())]
    return sorted(
        n
        for n in numbers
        if any(len(n) == len(b["first"]) and b["first"] <= n <= b["last"] for b in blocks)
    )


def _good_standing(bundle: Path) -> list[str]:
    """Enterprises with consent records and never a sanction, in id order."""
    sanctioned = {s["subject_id"] for s in _rows(bundle, "sanctions")}
    return sorted({c["enterprise_id"] for c in _rows(bundle, "consents")} - sanctioned)


def test_registry_labels_of_a_simulated_city(registry_city: Path, callers: pd.DataFrame) -> None:
    labels = registry_labels(Bundle(registry_city), callers)
    assert labels.index.isin(callers["number"]).all()
    assert set(labels) == {0, 1}

    # Lines of enterprises with consent records and no sanction, that nobody reported: 0.
    reported = {r["number"] for r in _rows(registry_city, "reports")}
    lines = [
        n
        for e in _good_standing(registry_city)
        for n in _lines(registry_city, callers["number"], holder_id=e)
        if n not in reported
    ]
    assert lines and (labels.loc[lines] == 0).all()

    # The simulator's grudge and collusion: many reports from fewer than min_reporters people.
    reports = pd.DataFrame(_rows(registry_city, "reports"))
    per_number = reports.groupby("number")["reporter"].agg(["size", "nunique"])
    abused = per_number[
        (per_number["size"] >= 10) & (per_number["nunique"] < _REPORTS.min_reporters)
    ].index
    assert abused.isin(callers["number"]).any()
    assert not (labels.reindex(abused) == 1).any()


def test_registry_labels_follow_sanctions_and_distinct_reporters(
    registry_city: Path, callers: pd.DataFrame
) -> None:
    before = registry_labels(Bundle(registry_city), callers)
    clean = before[before == 0].index
    subscribers = _lines(registry_city, clean, holder_type="carrier")
    abused, reported, sanctioned, lapsed = subscribers[:4]
    enterprise = next(
        e for e in _good_standing(registry_city) if _lines(registry_city, before.index, holder_id=e)
    )
    at = "2019-03-01T12:00:00+08:00"
    _append(
        registry_city,
        "reports",
        [{"reporter": "abuser", "number": abused, "category": "fraud", "reported_at": at}] * 50
        + [
            {"reporter": f"p{i}", "number": reported, "category": "fraud", "reported_at": at}
            for i in range(_REPORTS.min_reporters)
        ],
    )
    sanction = {"authority": "MIIT", "reason": "test", "starts_at": "2000-01-01T00:00:00+08:00"}
    _append(
        registry_city,
        "sanctions",
        [
            {**sanction, "subject_type": "number", "subject_id": sanctioned, "ends_at": ""},
            {
                **sanction,
                "subject_type": "number",
                "subject_id": lapsed,
                "ends_at": "2000-02-01T00:00:00+08:00",
            },
            {**sanction, "subject_type": "enterprise", "subject_id": enterprise, "ends_at": ""},
        ],
    )
    after = registry_labels(Bundle(registry_city), callers)
    assert abused not in after.index  # reported, though by one person only: no label
    assert after[reported] == 1
    assert after[sanctioned] == 1
    assert after[lapsed] == 0  # its sanction had lapsed before it called
    lines = _lines(registry_city, callers["number"], holder_id=enterprise)
    assert lines and (after.loc[lines] == 1).all()


@pytest.mark.parametrize(
    ("missing", "message"),
    [(("number_blocks",), "number_blocks"), (("sanctions", "reports"), "sanctions nor")],
)
def test_registry_labels_need_blocks_and_some_nuisance_evidence(
    registry_city: Path, callers: pd.DataFrame, missing: tuple[str, ...], message: str
) -> None:
    for name in missing:
        (registry_city / f"{name}.csv").unlink()
    with pytest.raises(BundleError, match=message):
        registry_labels(Bundle(registry_city), callers)


def test_training_on_registry_labels_never_reads_truth(
    registry_city: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    read = ReaderBundle.read
    names: list[str] = []

    def spy(self: ReaderBundle, name: str) -> object:
        names.append(name)
        return read(self, name)

    monkeypatch.setattr(ReaderBundle, "read", spy)
    model = train_on([(Bundle(registry_city), REGISTRY)])
    assert model.positives >= MIN_PER_CLASS
    assert "sanctions" in names and not set(names) & set(TRUTH_TABLES)


def test_registry_trained_model_ignores_the_inputs_labels_come_from(model: NumberModel) -> None:
    assert set(REGISTRY_INPUTS) <= set(MODEL_INPUTS)
    rng = np.random.default_rng(0)
    table = pd.DataFrame(rng.integers(0, 50, (200, len(MODEL_INPUTS))), columns=MODEL_INPUTS)
    changed = table.assign(**{name: rng.integers(0, 50, len(table)) for name in REGISTRY_INPUTS})
    assert np.array_equal(model.predict(table), model.predict(changed))
