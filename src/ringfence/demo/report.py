"""The demo's HTML report: charts (inline SVG, drawn with matplotlib) and tables."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from ringfence.bundle import Bundle
from ringfence.charts import plt, svg, tidy
from ringfence.evaluate import Evaluation
from ringfence.replay import ReplayResult

ACTION_COLOURS = {"allow": "#4c9f70", "label": "#e0a526", "block": "#c8453b"}
LOCAL_OFFSET_HOURS = 8  # the simulated city is on +08:00


def _verdicts(replay_dir: Path) -> dict[str, tuple[str, str]]:
    with (replay_dir / "verdicts.csv").open(newline="", encoding="utf-8") as handle:
        return {row["call_id"]: (row["action"], row["reasons"]) for row in csv.DictReader(handle)}


def chart_over_day(bundle: Bundle, verdicts: dict[str, tuple[str, str]]) -> Markup:
    """Stacked bars: calls per hour of the day (local), by action."""
    cdrs = bundle.read("cdrs").table.select(["call_id", "start_time"]).to_pylist()
    hourly: dict[str, Counter[int]] = defaultdict(Counter)
    for row in cdrs:
        action = verdicts.get(row["call_id"], ("allow", ""))[0]
        start: datetime = row["start_time"]
        hourly[action][(start.hour + LOCAL_OFFSET_HOURS) % 24] += 1
    fig, ax = plt.subplots(figsize=(9, 3.2))
    bottom = [0] * 24
    for action in ("allow", "label", "block"):
        values = [hourly[action][h] for h in range(24)]
        ax.bar(range(24), values, bottom=bottom, color=ACTION_COLOURS[action], label=action)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_xlabel("hour of day (local time)")
    ax.set_ylabel("calls")
    ax.set_xticks(range(0, 24, 2))
    ax.legend(frameon=False)
    tidy(ax)
    return svg(fig)


def chart_by_reason(result: ReplayResult) -> Markup:
    """Horizontal bars: calls per reason code (ALLOWED left out: it dwarfs the rest)."""
    items = [(r, c) for r, c in result.by_reason.most_common() if r != "ALLOWED"][::-1]
    fig, ax = plt.subplots(figsize=(9, 0.35 * max(len(items), 3) + 0.8))
    ax.barh([r for r, _ in items], [c for _, c in items], color="#3b6ea8")
    for y, (_, count) in enumerate(items):
        ax.text(count, y, f" {count:,}", va="center", fontsize=8)
    ax.set_xlabel("calls")
    tidy(ax)
    return svg(fig)


def chart_by_industry(bundle: Bundle, verdicts: dict[str, tuple[str, str]]) -> Markup:
    """Grouped bars: enterprise calls per industry, by action."""
    industry_of = {str(e["enterprise_id"]): str(e["industry"]) for e in bundle.rows("enterprises")}
    trunk_industry = {
        str(t["trunk_id"]): industry_of.get(str(t["enterprise_id"]), "other")
        for t in bundle.rows("trunks")
    }
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    cdrs = bundle.read("cdrs").table.select(["call_id", "trunk_id"]).to_pylist()
    for row in cdrs:
        industry = trunk_industry.get(row["trunk_id"] or "")
        if industry is not None:
            counts[industry][verdicts.get(row["call_id"], ("allow", ""))[0]] += 1
    industries = sorted(counts)
    fig, ax = plt.subplots(figsize=(9, 3.2))
    width = 0.27
    for k, action in enumerate(("allow", "label", "block")):
        xs = [i + (k - 1) * width for i in range(len(industries))]
        ax.bar(
            xs,
            [counts[i][action] for i in industries],
            width,
            color=ACTION_COLOURS[action],
            label=action,
        )
    ax.set_xticks(range(len(industries)), industries)
    ax.set_ylabel("calls from enterprise trunks")
    ax.legend(frameon=False)
    tidy(ax)
    return svg(fig)


def chart_detection(quality: Evaluation) -> Markup:
    """Bars: share of each nuisance kind stopped (and after warm-up for behavioural kinds)."""
    kinds = [k for k in quality.kinds if k.nuisance]
    fig, ax = plt.subplots(figsize=(9, 3.4))
    xs = range(len(kinds))
    ax.bar(
        [x - 0.2 for x in xs],
        [k.stop_rate * 100 for k in kinds],
        0.4,
        color="#c8453b",
        label="stopped",
    )
    ax.bar(
        [x + 0.2 for x in xs],
        [(k.stop_rate_after_warmup if k.after_warmup else k.stop_rate) * 100 for k in kinds],
        0.4,
        color="#7d2a24",
        label="stopped after warm-up",
    )
    ax.axhline(95, color="#555", linestyle="--", linewidth=0.8)
    ax.set_xticks(list(xs), [k.kind for k in kinds], rotation=35, ha="right", fontsize=8)
    ax.set_ylabel("% of calls blocked")
    ax.set_ylim(0, 105)
    ax.legend(frameon=False, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2)
    tidy(ax)
    return svg(fig)


def write_report(
    path: Path, bundle_dir: Path, replay_dir: Path, replayed: ReplayResult, quality: Evaluation
) -> Path:
    """Render the report to ``path`` and return it."""
    bundle = Bundle(bundle_dir)
    verdicts = _verdicts(replay_dir)
    env = Environment(loader=PackageLoader("ringfence.demo"), autoescape=select_autoescape())
    html = env.get_template("report.html").render(
        replayed=replayed,
        quality=quality,
        over_day=chart_over_day(bundle, verdicts),
        by_reason=chart_by_reason(replayed),
        by_industry=chart_by_industry(bundle, verdicts),
        detection=chart_detection(quality),
        generated=datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path
