"""Signals: the engine's per-number counts turned into the shares and facts rules and model read.

The engine (:mod:`ringfence.analytics.features`) returns counts; shares are taken here, on the
collected table (one row per number), so that every engine feeds the detectors and the model
the very same floating-point values. The number plan (:class:`ringfence.core.numberplan.
NumberPlan`) is applied here too: it is Python, and runs once per distinct number.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ringfence.core.numberplan import NumberPlan, Validity

#: Shares: (name, numerator, denominator); a zero denominator gives 0.
SHARES: tuple[tuple[str, str, str], ...] = (
    ("answer_rate", "answered", "calls"),
    ("short_ring_share", "short_rings", "calls"),
    ("short_talk_share", "short_talks", "answered"),
    ("night_share", "night_calls", "calls"),
    ("intl_share", "intl_calls", "calls"),
    ("trunk_share", "trunk_calls", "calls"),
    ("unconsented_share", "unconsented_calls", "marketing_calls"),
    ("refused_share", "refused_calls", "marketing_calls"),
    ("unauthorized_share", "unauthorized_calls", "trunk_calls"),
    ("fanout", "callees", "calls"),
    ("top_callee_share", "max_to_one", "calls"),
    ("called_back_share", "called_back_by", "callees"),
    ("range_short_share", "range_short_rings", "range_calls"),
    ("ring_mean_s", "ring_ms_sum", "calls"),
    ("talk_mean_s", "talk_ms_sum", "answered"),
)

#: Signals that are facts about the number itself rather than its traffic.
PLAN_SIGNALS: tuple[str, ...] = ("standard", "domestic", "enterprise_block", "carrier_block")


def _share(numerator: pd.Series, denominator: pd.Series) -> np.ndarray:
    num = numerator.to_numpy(dtype=float)
    den = denominator.to_numpy(dtype=float)
    shares: np.ndarray = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
    return shares


def plan_facts(numbers: pd.Series, plan: NumberPlan | None = None) -> pd.DataFrame:
    """Per number (in the order given): ``standard`` (VALID in the number plan, specials
    included) and ``domestic`` (of the plan's home country), as 0/1 integers."""
    plan = plan or NumberPlan()
    infos = [plan.classify(n) for n in numbers]
    return pd.DataFrame(
        {
            "standard": [int(i.validity is Validity.VALID) for i in infos],
            "domestic": [int(i.domestic) for i in infos],
        },
        index=numbers.index,
    )


def derive(features: pd.DataFrame, plan: NumberPlan | None = None) -> pd.DataFrame:
    """``features`` with every share of :data:`SHARES` and the :data:`PLAN_SIGNALS` added
    (times in seconds: ``ring_mean_s``, ``talk_mean_s``; sequential dialling as
    ``sequential_share`` of the steps between distinct callees)."""
    out = features.copy()
    for name, numerator, denominator in SHARES:
        out[name] = _share(out[numerator], out[denominator])
    out["ring_mean_s"] /= 1000
    out["talk_mean_s"] /= 1000
    out["sequential_share"] = _share(out["sequential_steps"], (out["callees"] - 1).clip(lower=0))
    out = pd.concat([out, plan_facts(out["number"], plan)], axis=1)
    out["enterprise_block"] = (out["holder_type"] == "enterprise").astype(int)
    out["carrier_block"] = (out["holder_type"] == "carrier").astype(int)
    return out
