"""``OUT/report.html``: top numbers and campaigns with their evidence, and charts.

Charts are inline SVG drawn with matplotlib (as in the demo's report): the day's timeline
(calls per local hour by category), the score distribution, flagged numbers by kind, and
enterprise calls and scores by industry.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from ringfence.analytics.pipeline import Analysis
from ringfence.analytics.scoring import NORMAL, THRESHOLD
from ringfence.charts import plt, svg, tidy

TOP_NUMBERS = 50
TOP_CAMPAIGNS = 30
_PALETTE = ["#c8453b", "#e0a526", "#3b6ea8", "#7d2a24", "#8e5ea2", "#4c9f70", "#d9773a", "#555"]


def chart_timeline(hourly: pd.DataFrame) -> Markup:
    """Stacked bars: calls per local hour, flagged categories on top of normal calls."""
    table = hourly.pivot_table(index="hour", columns="category", values="calls", fill_value=0)
    table = table.reindex(range(24), fill_value=0)
    order = [NORMAL, *sorted(c for c in table.columns if c != NORMAL)]
    fig, ax = plt.subplots(figsize=(9, 3.2))
    bottom = np.zeros(24)
    for i, category in enumerate(c for c in order if c in table.columns):
        values = table[category].to_numpy(dtype=float)
        colour = "#c9d3de" if category == NORMAL else _PALETTE[i % len(_PALETTE)]
        ax.bar(range(24), values, bottom=bottom, color=colour, label=category)
        bottom += values
    ax.set_xlabel("hour of day (local time)")
    ax.set_ylabel("calls")
    ax.set_xticks(range(0, 24, 2))
    ax.legend(frameon=False, fontsize=7, ncol=3)
    tidy(ax)
    return svg(fig)


def chart_scores(numbers: pd.DataFrame) -> Markup:
    """Histogram of number scores (log scale: the normal numbers dwarf the rest)."""
    fig, ax = plt.subplots(figsize=(9, 2.8))
    ax.hist(numbers["score"], bins=[i / 20 for i in range(21)], color="#3b6ea8", log=True)
    ax.axvline(THRESHOLD, color="#c8453b", linestyle="--", linewidth=0.8)
    ax.set_xlabel("score")
    ax.set_ylabel("numbers (log)")
    tidy(ax)
    return svg(fig)


def chart_by_kind(flagged: pd.DataFrame) -> Markup:
    """Horizontal bars: flagged numbers and their calls per category."""
    counts = flagged.groupby("category").agg(numbers=("number", "size"), calls=("calls", "sum"))
    counts = counts.sort_values("numbers")
    fig, ax = plt.subplots(figsize=(9, 0.35 * max(len(counts), 3) + 0.8))
    ax.barh(counts.index, counts["numbers"], color="#c8453b")
    for y, (n, c) in enumerate(zip(counts["numbers"], counts["calls"], strict=True)):
        ax.text(n, y, f" {n:,} numbers, {c:,} calls", va="center", fontsize=8)
    ax.set_xlabel("flagged numbers")
    tidy(ax)
    return svg(fig)


def chart_by_industry(enterprises: pd.DataFrame) -> Markup:
    """Bars: enterprise calls per industry, split by flagged and clean numbers' enterprises."""
    table = enterprises.assign(
        industry=enterprises["industry"].replace("", "unknown"),
        risky=enterprises["score"] >= THRESHOLD,
    )
    grouped = table.groupby(["industry", "risky"])["calls"].sum().unstack(fill_value=0)
    grouped = grouped.reindex(columns=[False, True], fill_value=0)
    fig, ax = plt.subplots(figsize=(9, 3.0))
    xs = np.arange(len(grouped))
    ax.bar(xs - 0.2, grouped[False], 0.4, color="#4c9f70", label="enterprises scored < 0.5")
    ax.bar(xs + 0.2, grouped[True], 0.4, color="#c8453b", label="enterprises scored ≥ 0.5")
    ax.set_xticks(xs, grouped.index)
    ax.set_ylabel("calls")
    ax.legend(frameon=False)
    tidy(ax)
    return svg(fig)


def _when(epoch_s: int) -> str:
    return datetime.fromtimestamp(int(epoch_s), UTC).strftime("%Y-%m-%d %H:%M UTC")


def write_report(analysis: Analysis, path: Path, *, title: str = "call-record analytics") -> Path:
    """Render the report of ``analysis`` to ``path`` (directories created) and return it."""
    env = Environment(loader=PackageLoader("ringfence.analytics"), autoescape=select_autoescape())
    flagged = analysis.flagged
    campaigns = analysis.campaigns.head(TOP_CAMPAIGNS).assign(
        first=lambda c: c["first_s"].map(_when), last=lambda c: c["last_s"].map(_when)
    )
    html = env.get_template("report.html").render(
        title=title,
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        analysis=analysis,
        calls=int(analysis.numbers["calls"].sum()),
        flagged=flagged.head(TOP_NUMBERS).to_dict("records"),
        flagged_count=len(flagged),
        campaigns=campaigns.to_dict("records"),
        campaign_count=len(analysis.campaigns),
        enterprises=analysis.enterprises.to_dict("records"),
        rejected=len(analysis.rejects),
        timeline=chart_timeline(analysis.hourly),
        scores=chart_scores(analysis.numbers),
        by_kind=chart_by_kind(flagged) if len(flagged) else Markup(""),
        by_industry=chart_by_industry(analysis.enterprises)
        if len(analysis.enterprises)
        else Markup(""),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path
