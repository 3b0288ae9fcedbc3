"""The learned scorer: gradient boosting over the signals, calibrated to a probability.

    model = train(signals, labels)           # labels: 1 nuisance, 0 legitimate, per number
    model.save("model.joblib"); model = NumberModel.load("model.joblib")
    p = model.predict(signals)               # calibrated P(nuisance) in [0, 1]

The classifier is scikit-learn's ``HistGradientBoostingClassifier`` inside
``CalibratedClassifierCV`` (isotonic, 3 folds): boosted trees rank well but their raw
outputs are not probabilities, and the score is read as one (0.5 is the decision line).
Fitting and predicting use one thread: on a shared machine OpenMP's thread pools fight over
the cores and run several times slower than one thread does.
Training is deterministic (fixed seeds, no shuffling), so a bundle and labels give the
same model every time.

Labels are what a carrier knows, never ground truth (:mod:`ringfence.analytics.labels`): the
registry's sanctions, crowd reports and lines in good standing, or a CSV of decisions. With
registry labels the inputs the labels are read from are blanked in training, so the model
learns how nuisance callers behave, not the labelling rule.
A saved model is a pickle: load only models you trained yourself.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import sklearn
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits

from ringfence.analytics.detectors import DETECTORS
from ringfence.analytics.features import COUNT_FEATURES
from ringfence.analytics.signals import PLAN_SIGNALS, SHARES
from ringfence.core.errors import PolicyError

#: What the model reads: counts, shares, number facts and the detectors' verdicts.
MODEL_INPUTS: tuple[str, ...] = (
    *COUNT_FEATURES,
    "talk_std_s",
    *(name for name, _, _ in SHARES),
    "sequential_share",
    *PLAN_SIGNALS,
    *(d.name for d in DETECTORS),
)
_FOLDS = 3
#: Fewest examples of each class a model can be trained on (the calibration folds need them).
MIN_PER_CLASS = 10
_FORMAT = "ringfence-number-model/1"


@dataclass(frozen=True)
class NumberModel:
    """A trained, calibrated scorer and the inputs it was trained on, in order."""

    estimator: Any
    inputs: tuple[str, ...]
    trained_on: int
    positives: int

    def predict(self, table: pd.DataFrame) -> np.ndarray:
        """Calibrated probability that each row's number is a nuisance, in [0, 1]."""
        missing = [name for name in self.inputs if name not in table.columns]
        if missing:
            raise PolicyError(f"the model needs input(s) {', '.join(missing)} the table lacks")
        matrix = table.loc[:, list(self.inputs)].to_numpy(dtype=float)
        if len(matrix) == 0:
            return np.zeros(0)
        with threadpool_limits(1):
            proba: np.ndarray = self.estimator.predict_proba(matrix)[:, 1]
        clipped: np.ndarray = np.clip(proba, 0.0, 1.0)
        return clipped

    def save(self, path: str | Path) -> None:
        """Write the model to ``path`` (joblib pickle with its format and library version)."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump(
            {
                "format": _FORMAT,
                "sklearn": sklearn.__version__,
                "estimator": self.estimator,
                "inputs": self.inputs,
                "trained_on": self.trained_on,
                "positives": self.positives,
            },
            target,
        )

    @classmethod
    def load(cls, path: str | Path) -> NumberModel:
        """Read a model written by :meth:`save`; PolicyError if it is not one or was made
        by another scikit-learn version (its trees may not load faithfully)."""
        try:
            saved = joblib.load(Path(path))
        except (OSError, EOFError, ValueError) as exc:
            raise PolicyError(f"cannot read model {path}: {exc}") from None
        if not isinstance(saved, dict) or saved.get("format") != _FORMAT:
            raise PolicyError(f"{path} is not a ringfence number model ({_FORMAT})")
        if saved["sklearn"] != sklearn.__version__:
            raise PolicyError(
                f"model {path} was trained with scikit-learn {saved['sklearn']}, this is "
                f"{sklearn.__version__}: retrain it with `ringfence model train`"
            )
        return cls(
            saved["estimator"], tuple(saved["inputs"]), saved["trained_on"], saved["positives"]
        )


def train(table: pd.DataFrame, labels: pd.Series) -> NumberModel:
    """Fit the calibrated booster on ``table`` (signals + detector columns) and ``labels``
    (1 nuisance / 0 legitimate, aligned with ``table``). PolicyError when either class has
    fewer than :data:`MIN_PER_CLASS` examples."""
    y = labels.to_numpy(dtype=int)
    positives = int(y.sum())
    if min(positives, len(y) - positives) < MIN_PER_CLASS:
        raise PolicyError(
            f"cannot train on {positives} nuisance and {len(y) - positives} legitimate "
            f"numbers: each class needs at least {MIN_PER_CLASS}"
        )
    # Shallow, regularised trees: nuisance numbers are few (a few hundred in a city), and
    # deep trees learn the training city's accidents rather than the campaigns' behaviour.
    booster = HistGradientBoostingClassifier(
        max_iter=100,
        learning_rate=0.1,
        max_leaf_nodes=8,
        min_samples_leaf=5,
        l2_regularization=1.0,
        early_stopping=False,
        random_state=0,
    )
    calibrated = CalibratedClassifierCV(
        booster, method="isotonic", cv=StratifiedKFold(n_splits=_FOLDS, shuffle=False)
    )
    with threadpool_limits(1):
        calibrated.fit(table.loc[:, list(MODEL_INPUTS)].to_numpy(dtype=float), y)
    return NumberModel(calibrated, MODEL_INPUTS, len(y), positives)
