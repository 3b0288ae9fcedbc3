"""Training labels: which numbers are nuisances, from a source *outside* the analysed data.

Two sources, chosen explicitly by ``ringfence model train --labels``:

- ``truth``: the ``truth_numbers`` table of a *labelled* bundle (the simulator writes one). This
  is the only place the analytics read a truth table, and only when asked to train on it;
  ``analyze`` never does.
- a CSV file with the header ``number,label``: ``label`` is ``1``/``0``, or a role of
  DESIGN.md (``one_ring``, ``legit`` ...): reports confirmed by staff, regulator decisions.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from ringfence.bundle import Bundle
from ringfence.bundle.schema import ROLE
from ringfence.core.errors import BundleError
from ringfence.evaluate import NUISANCE_ROLES

TRUTH = "truth"


def _label(value: str, where: str) -> int:
    text = value.strip()
    if text in ("0", "1"):
        return int(text)
    if text in ROLE:
        return int(text in NUISANCE_ROLES)
    raise BundleError(
        f"{where}: label {value!r} is neither 0/1 nor a role ({', '.join(sorted(ROLE))})"
    )


def truth_labels(bundle: Bundle) -> pd.Series:
    """1/0 per number from the bundle's ``truth_numbers`` (nuisance roles are those
    ``ringfence evaluate`` counts); BundleError if the bundle has none."""
    if not bundle.has("truth_numbers"):
        raise BundleError(f"bundle {bundle.path} has no truth_numbers table to train on")
    rows = bundle.rows("truth_numbers")
    return pd.Series(
        {str(r["number"]): int(str(r["role"]) in NUISANCE_ROLES) for r in rows}, dtype=int
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


def load_labels(source: str, bundle: Bundle) -> pd.Series:
    """The labels ``source`` names: :data:`TRUTH` for the bundle's truth, else a CSV path."""
    return truth_labels(bundle) if source == TRUTH else csv_labels(Path(source))
