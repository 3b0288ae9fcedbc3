"""Training labels: which numbers are nuisances, from evidence a carrier holds anyway.

Two sources, chosen explicitly by ``ringfence model train --labels``. Neither reads a truth
table: DESIGN.md lets only ``evaluate`` and the demo's summary do that.

``registry`` — labels from the bundle's registry tables: the regulator's decisions, the
complaints and the contracts a carrier keeps whether or not it trains a model. Per calling
number (its calls span its first to its last call):

- **1 (nuisance)** if

  * a sanction was in force during its calls (``sanctions``: ``starts_at`` before its last
    call, ``ends_at`` empty or after its first) on the number itself, or on the enterprise
    holding the ``number_blocks`` block the number lies in. The regulator has ruled on it.
  * or the crowd-report policy of the screener flags it (``reports``, replayed in time order
    through :class:`~ringfence.core.detectors.reports.ReportsDetector` with the cn pack's
    :class:`~ringfence.core.detectors.params.ReportsParams`): ``min_reporters`` *distinct*
    reporters within ``window_s``, whatever the category. One person reporting a number fifty
    times, or two people colluding, never make a 1. These are the reports the carrier's
    screener already acts on.

    An exception: reports alone do not make a 1 of a line of an enterprise in good standing
    (below). Complaints against a registered marketer that holds consent records are for the
    regulator to rule on. Such a line is left out.
- **0 (legitimate)** if the carrier has bound the line by contract, and nothing speaks
  against it:

  * the number lies in a block the carrier holds (``holder_type`` ``carrier``). This is a
    subscriber line, issued under real-name registration.
  * or it lies in a block held by an enterprise in good standing: an enterprise registered in
    ``enterprises`` which, for a ``marketing`` block, holds consent records (``consents``). A
    marketer with no consent at all has nobody it may call. A ``service`` or ``general``
    block needs no consent.
  * and no sanction on the number or its holder was in force during its calls.
  * and nobody has reported it at all: one report is not evidence against a number, but it
    is not evidence for it either.
- **left out** otherwise. Unreported numbers of other networks and from abroad have no
  evidence either way. So do numbers reported by too few people, lines of marketers without
  consents, and lines of unregistered holders.

The labels hold what the carrier knows, not what is true: a nuisance caller on a subscriber
line that nobody has reported yet gets a 0. The model inputs that the labels are read from
(:data:`REGISTRY_INPUTS`) are blanked for training. A model that saw them would learn the
labelling rule rather than how nuisance callers behave. The bundle must have
``number_blocks`` (for the 0s), and ``sanctions`` or ``reports`` (for the 1s). Without them
:func:`registry_labels` raises BundleError; ``enterprises`` and ``consents`` may be missing
(no enterprise line is then in good standing).

A CSV path — a file with the header ``number,label``. ``label`` is ``1``/``0`` or a role of
DESIGN.md (``one_ring``, ``legit`` ...). This is where reports confirmed by staff and the
regulator's decisions go.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd

from ringfence.bundle import Bundle
from ringfence.bundle.schema import ROLE
from ringfence.core.detectors.params import ReportsParams
from ringfence.core.detectors.reports import ReportsDetector
from ringfence.core.errors import BundleError
from ringfence.evaluate import NUISANCE_ROLES

REGISTRY = "registry"
#: Model inputs the registry labels are drawn from: reports, sanctions, and the block a number
#: lies in. Training on registry labels blanks them (:func:`blind`): a model that saw them would
#: learn the labelling rule (reported => 1, a line in a block => 0) rather than how nuisance
#: callers behave. Scoring still reads them, through the detectors.
REGISTRY_INPUTS: tuple[str, ...] = (
    "reports",
    "reporters",
    "fraud_reports",
    "sanctioned",
    "reported_fraud",
    "reported",
    "sanction_in_force",
    "enterprise_block",
    "carrier_block",
)
#: The columns of the calling numbers :func:`registry_labels` labels: the number and the
#: first and last start of its calls (epoch seconds), to tell which sanctions were in force.
CALLER_COLUMNS = ("number", "first_s", "last_s")


def _label(value: str, where: str) -> int:
    text = value.strip()
    if text in ("0", "1"):
        return int(text)
    if text in ROLE:
        return int(text in NUISANCE_ROLES)
    raise BundleError(
        f"{where}: label {value!r} is neither 0/1 nor a role ({', '.join(sorted(ROLE))})"
    )


def _table(bundle: Bundle, name: str) -> pd.DataFrame:
    """Table ``name``'s accepted rows, times as epoch seconds (null when empty)."""
    frame: pd.DataFrame = bundle.read(name).table.to_pandas()
    for column in ("starts_at", "ends_at", "reported_at"):
        if column in frame:
            stamps = pd.to_datetime(frame[column], utc=True)
            frame[column] = (stamps - pd.Timestamp(0, tz="UTC")).dt.total_seconds()
    return frame


def _holders(numbers: pd.Series, blocks: pd.DataFrame) -> pd.DataFrame:
    """The block each number lies in (``holder_type``, ``holder_id``, ``purpose``; empty when
    in none), compared as the features do: same length, ``first <= number <= last``."""
    out = pd.DataFrame(
        {"holder_type": "", "holder_id": "", "purpose": ""}, index=numbers.index, dtype=object
    )
    lengths = numbers.str.len()
    for length, group in blocks.groupby(blocks["first"].str.len()):
        ordered = group.sort_values("first")
        firsts = ordered["first"].to_numpy(dtype=object)
        mine = numbers[lengths == length]
        at = np.searchsorted(firsts, mine.to_numpy(dtype=object), side="right") - 1
        found = at >= 0
        rows = ordered.iloc[np.where(found, at, 0)]
        inside = found & (mine.to_numpy(dtype=object) <= rows["last"].to_numpy(dtype=object))
        hits = mine.index[inside]
        for column in out.columns:
            out.loc[hits, column] = rows[column].to_numpy(dtype=object)[inside]
    return out


def _in_force(
    callers: pd.DataFrame, subjects: pd.Series, sanctions: pd.DataFrame, subject_type: str
) -> pd.Series:
    """Whether a sanction on ``subjects`` (one per caller) of ``subject_type`` was in force
    between the caller's first and last call."""
    on = sanctions[sanctions["subject_type"] == subject_type]
    pairs = pd.DataFrame({"row": callers.index, "subject_id": subjects.to_numpy()}).merge(
        on, on="subject_id"
    )
    first = callers.loc[pairs["row"], "first_s"].to_numpy()
    last = callers.loc[pairs["row"], "last_s"].to_numpy()
    overlap = (pairs["starts_at"].to_numpy() <= last) & (
        pairs["ends_at"].isna().to_numpy() | (pairs["ends_at"].to_numpy() > first)
    )
    return pd.Series(callers.index.isin(pairs.loc[overlap, "row"]), index=callers.index)


def crowd_flagged(reports: pd.DataFrame, params: ReportsParams | None = None) -> set[str]:
    """The numbers the crowd-report policy flags at some point: the reports (``reporter``,
    ``number``, ``category``, ``reported_at`` in epoch seconds) replayed in time order
    through the screener's own detector."""
    detector = ReportsDetector(params or ReportsParams())
    flagged: set[str] = set()
    ordered = reports.sort_values("reported_at", kind="stable")
    for reporter, number, category, at in ordered[
        ["reporter", "number", "category", "reported_at"]
    ].itertuples(index=False):
        detector.on_report(reporter, number, category, at)
        if number not in flagged and detector.caller_flag(number, at) is not None:
            flagged.add(number)
    return flagged


def registry_labels(bundle: Bundle, callers: pd.DataFrame) -> pd.Series:
    """1/0 per calling number of ``callers`` (:data:`CALLER_COLUMNS`) that the registry
    tables of ``bundle`` give evidence on (module docstring); numbers without evidence are
    left out. BundleError when the bundle lacks the tables either class is drawn from."""
    if not bundle.has("number_blocks"):
        raise BundleError(
            f"bundle {bundle.path} has no number_blocks table: registry labels need it to "
            "tell the carrier's and its enterprises' lines (the legitimate examples)"
        )
    if not (bundle.has("sanctions") or bundle.has("reports")):
        raise BundleError(
            f"bundle {bundle.path} has neither a sanctions nor a reports table: registry "
            "labels need one of them for the nuisance examples"
        )
    callers = callers.loc[:, list(CALLER_COLUMNS)].reset_index(drop=True)
    numbers = callers["number"].astype(str)
    holders = _holders(numbers, _table(bundle, "number_blocks"))
    sanctions = _table(bundle, "sanctions")
    reports = _table(bundle, "reports")
    enterprise = holders["holder_type"] == "enterprise"

    sanctioned = _in_force(callers, numbers, sanctions, "number") | (
        enterprise & _in_force(callers, holders["holder_id"], sanctions, "enterprise")
    )
    registered = holders["holder_id"].isin(_table(bundle, "enterprises")["enterprise_id"])
    consenting = holders["holder_id"].isin(_table(bundle, "consents")["enterprise_id"])
    good_enterprise = enterprise & registered & ((holders["purpose"] != "marketing") | consenting)
    # Complaints against an enterprise in good standing are for the regulator to rule on.
    positive = sanctioned | (numbers.isin(crowd_flagged(reports)) & ~good_enterprise)
    negative = (
        ((holders["holder_type"] == "carrier") | good_enterprise)
        & ~sanctioned
        & ~numbers.isin(reports["number"])
    )
    labelled = positive | negative
    return pd.Series(
        positive[labelled].astype(int).to_numpy(), index=numbers[labelled].to_numpy(), dtype=int
    )


def csv_labels(path: Path) -> pd.Series:
    """1/0 per number from a ``number,label`` CSV; BundleError naming the line of a bad label."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames is None or not {"number", "label"} <= set(reader.fieldnames):
                raise BundleError(f"{path}: expected the header number,label")
            labels = {
                row["number"]: _label(row["label"], f"{path}: line {line}")
                for line, row in enumerate(reader, start=2)
            }
    except OSError as exc:
        raise BundleError(f"cannot read labels {path}: {exc.strerror}") from None
    return pd.Series(labels, dtype=int)


def blind(table: pd.DataFrame, source: str) -> pd.DataFrame:
    """``table`` (model inputs) as a model trained on labels from ``source`` may see it:
    the :data:`REGISTRY_INPUTS` zeroed for :data:`REGISTRY` labels, unchanged otherwise."""
    if source != REGISTRY:
        return table
    return table.assign(**{name: 0 for name in REGISTRY_INPUTS})


def load_labels(source: str, bundle: Bundle, callers: pd.DataFrame) -> pd.Series:
    """The labels ``source`` names for the calling numbers ``callers`` of ``bundle``:
    :data:`REGISTRY` for the bundle's registry evidence, else a CSV path."""
    if source == REGISTRY:
        return registry_labels(bundle, callers)
    return csv_labels(Path(source))
