"""Campaigns: flagged numbers grouped by what they share, and scores per enterprise.

Nuisance callers rotate numbers, so a number's score alone undersells a campaign. Flagged
numbers (score >= 0.5) are grouped, in this order of preference, by

- the *target* they flood together (call bombing from rotating numbers: ``target:<victim>``);
- the *enterprise* whose trunk or block they use (``enterprise:<id>``);
- their *range* on one ingress and category (``range:<number minus last digits>``):
  one-ring and scanning campaigns rotate inside one block.

Each campaign reports its numbers, calls, callees, its first and last call and its evidence.
Enterprises are scored over all their numbers: the call-weighted mean number score, so one
sanctioned line among many clean ones shows, but does not condemn, the whole company.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ringfence.analytics.features import RANGE_DROP_DIGITS
from ringfence.analytics.scoring import THRESHOLD


def number_range(number: str) -> str:
    """The range of ``number``: all but its last digits (the engine's rule, in Python)."""
    return number[:-RANGE_DROP_DIGITS] if len(number) > RANGE_DROP_DIGITS + 4 else number


def campaign_key(row: pd.Series) -> str:
    """The key that groups ``row``'s number with the others of its campaign (see above)."""
    if row["category"] == "call_bomber" and row["target"]:
        return f"target:{row['target']}"
    if row["enterprise_id"]:
        return f"enterprise:{row['enterprise_id']}"
    return f"range:{number_range(str(row['number']))}"


def campaigns(scored: pd.DataFrame) -> pd.DataFrame:
    """One row per campaign of flagged numbers, the largest (by calls) first.

    Columns: ``campaign, category, numbers, calls, callees, first_s, last_s, score, reasons,
    example`` (``score`` the highest of its numbers, ``example`` its busiest number).
    """
    flagged = scored[scored["score"] >= THRESHOLD].copy()
    columns = [
        "campaign",
        "category",
        "numbers",
        "calls",
        "callees",
        "first_s",
        "last_s",
        "score",
        "reasons",
        "example",
    ]
    if flagged.empty:
        return pd.DataFrame(columns=columns)
    flagged["campaign"] = flagged.apply(campaign_key, axis=1)
    rows = []
    for key, group in flagged.groupby("campaign", sort=True):
        busiest = group.sort_values(["calls", "number"], ascending=[False, True]).iloc[0]
        reasons = sorted({r for text in group["reasons"] for r in text.split(";") if r})
        rows.append(
            {
                "campaign": key,
                "category": group["category"].mode().iloc[0],
                "numbers": len(group),
                "calls": int(group["calls"].sum()),
                "callees": int(group["callees"].sum()),
                "first_s": int(group["first_s"].min()),
                "last_s": int(group["last_s"].max()),
                "score": float(group["score"].max()),
                "reasons": ";".join(reasons),
                "example": busiest["number"],
            }
        )
    out = pd.DataFrame(rows, columns=columns)
    return out.sort_values(["calls", "campaign"], ascending=[False, True], ignore_index=True)


def enterprise_scores(scored: pd.DataFrame, enterprises: pd.DataFrame) -> pd.DataFrame:
    """One row per enterprise with calls: ``enterprise_id, name, industry, numbers, flagged,
    calls, score`` (call-weighted mean of its numbers' scores), highest score first."""
    own = scored[scored["enterprise_id"] != ""]
    columns = ["enterprise_id", "name", "industry", "numbers", "flagged", "calls", "score"]
    if own.empty:
        return pd.DataFrame(columns=columns)
    grouped = own.assign(weighted=own["score"] * own["calls"]).groupby("enterprise_id")
    out = pd.DataFrame(
        {
            "numbers": grouped.size(),
            "flagged": grouped["score"].apply(lambda s: int((s >= THRESHOLD).sum())),
            "calls": grouped["calls"].sum(),
            "score": np.round(grouped["weighted"].sum() / grouped["calls"].sum(), 4),
        }
    ).reset_index()
    out = out.merge(
        enterprises[["enterprise_id", "name", "industry"]], on="enterprise_id", how="left"
    )
    out = out.fillna({"name": "", "industry": ""})
    return out[columns].sort_values(
        ["score", "enterprise_id"], ascending=[False, True], ignore_index=True
    )
