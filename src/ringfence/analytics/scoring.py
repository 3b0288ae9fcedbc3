"""One score per number from the detectors and the model, with its category and reasons.

    score = max(model probability, strength of the strongest detector that fired)

A detector that fires is evidence a person can check, so it sets a floor; the model adds what
no single rule sees (several weak signals together) and can only raise the score. The
category is the strongest firing detector's; a number only the model condemns is
``suspicious`` with the reason ``REPUTATION``; a number nothing speaks against is ``normal``.
Reasons are the firing detectors' codes, in the precedence order of
:class:`ringfence.core.reasons.Reason`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ringfence.analytics.detectors import DETECTORS, explain
from ringfence.analytics.model import NumberModel
from ringfence.core.reasons import Reason

#: The score at and above which a number is flagged (the one ``ringfence evaluate`` uses).
THRESHOLD = 0.5
NORMAL, SUSPICIOUS = "normal", "suspicious"
_PRECEDENCE: dict[str, int] = {reason.value: i for i, reason in enumerate(Reason)}
_SCORE_DIGITS = 4


def score(signals: pd.DataFrame, fired: pd.DataFrame, model: NumberModel | None) -> pd.DataFrame:
    """``signals`` with ``model_score``, ``score``, ``category``, ``reasons`` (``;``-joined
    codes) and ``evidence`` (``;``-joined sentences) added; ``fired`` is
    :func:`ringfence.analytics.detectors.detect`'s table for the same rows."""
    with_flags = pd.concat([signals, fired.astype(int)], axis=1)
    learned = model.predict(with_flags) if model is not None else np.zeros(len(signals))
    strengths = np.array([d.strength for d in DETECTORS])
    matrix = fired.loc[:, [d.name for d in DETECTORS]].to_numpy(dtype=bool)
    rule_score = np.where(matrix, strengths, 0.0).max(axis=1, initial=0.0)
    out = with_flags.copy()
    out["model_score"] = np.round(learned, _SCORE_DIGITS)
    out["score"] = np.round(np.maximum(learned, rule_score), _SCORE_DIGITS)
    any_fired = matrix.any(axis=1)
    # The strongest firing detector names the category (the first listed on a tie).
    strongest = np.where(matrix, strengths, -1.0).argmax(axis=1)
    category = np.array([d.category for d in DETECTORS], dtype=object)[strongest]
    flagged = out["score"].to_numpy() >= THRESHOLD
    out["category"] = np.where(any_fired, category, np.where(flagged, SUSPICIOUS, NORMAL))
    reasons = [""] * len(out)
    evidence = [""] * len(out)
    for i in np.flatnonzero(any_fired | (learned >= THRESHOLD)):
        hits = [d for d, hit in zip(DETECTORS, matrix[i], strict=True) if hit]
        codes: set[Reason] = {d.reason for d in hits}
        if learned[i] >= THRESHOLD:
            codes.add(Reason.REPUTATION)
        reasons[i] = ";".join(sorted(codes, key=_PRECEDENCE.__getitem__))
        evidence[i] = "; ".join(explain(out.iloc[i], [d.name for d in hits]))
    out["reasons"] = reasons
    out["evidence"] = evidence
    return out
