"""How the command line shows things: progress bars and result tables (Rich)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

if TYPE_CHECKING:  # the heavy modules load only when a command needs them
    from ringfence.evaluate import Evaluation
    from ringfence.replay import ReplayResult

console = Console(stderr=True)
#: Results; when piped or logged (no terminal to measure) tables get room for their columns.
out = Console() if sys.stdout.isatty() else Console(width=120)


def progress_bar(description: str) -> Progress:
    """A Rich progress bar on stderr for long work."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )


def print_replay(result: ReplayResult) -> None:
    """The table of verdicts by reason that ends a replay."""
    table = Table(title="verdicts by reason")
    table.add_column("reason")
    table.add_column("calls", justify="right")
    table.add_column("share", justify="right")
    for reason, count in result.by_reason.most_common():
        table.add_row(reason, f"{count:,}", f"{count / max(result.calls, 1):.2%}")
    out.print(table)
    actions = ", ".join(f"{a} {result.by_action.get(a, 0):,}" for a in ("allow", "label", "block"))
    out.print(
        f"{result.calls:,} calls screened ({actions}); {result.reports:,} reports; "
        f"{len(result.rejects):,} rows rejected (see rejects.csv); "
        f"{result.calls_per_second:,.0f} calls/s"
    )


def print_evaluation(result: Evaluation) -> None:
    """Tables of detection quality: by kind, overall, false blocks, numbers."""
    if result.calls is not None:
        table = Table(title="detection by kind")
        for column in ("kind", "calls", "blocked", "labelled", "stop rate", "after warm-up"):
            table.add_column(column, justify="left" if column == "kind" else "right")
        for k in result.kinds:
            warm = f"{k.stop_rate_after_warmup:.1%}" if k.after_warmup else "—"
            name = k.kind if k.nuisance else f"[dim]{k.kind} (legit)[/dim]"
            table.add_row(
                name,
                f"{k.calls:,}",
                f"{k.blocked:,}",
                f"{k.labelled:,}",
                f"{k.stop_rate:.1%}",
                warm,
            )
        out.print(table)
        c = result.calls
        out.print(
            f"calls: precision {c.precision:.4f}  recall {c.recall:.4f}  F1 {c.f1:.4f}; "
            f"legitimate calls blocked {result.legit_blocked:,} of {result.legit_calls:,} "
            f"({result.false_block_per_10k:.2f} per 10,000); emergency calls not allowed "
            f"{result.emergency_not_allowed} of {result.emergency_calls}"
        )
    if result.numbers is not None:
        n = result.numbers
        out.print(f"numbers: precision {n.precision:.4f}  recall {n.recall:.4f}  F1 {n.f1:.4f}")
