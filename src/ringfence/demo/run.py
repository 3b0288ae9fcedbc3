"""The demo: simulate a city, replay it through the screener, evaluate, write a report."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.progress import Progress

from ringfence.cli.render import print_evaluation, print_replay
from ringfence.core.policy import load_policy
from ringfence.demo.report import write_report
from ringfence.evaluate import evaluate, write_evaluation
from ringfence.replay import replay_bundle
from ringfence.shaken.screening import ShakenAuthenticator
from ringfence.sim import SimConfig, simulate, write


def run_demo(
    out_dir: Path,
    *,
    subscribers: int,
    seed: int,
    console: Console,
    progress_bar: Callable[[str], Progress],
) -> None:
    """Run the whole demo into ``out_dir`` and print its summary."""
    started = time.perf_counter()
    bundle_dir, replay_dir = out_dir / "bundle", out_dir / "replay"
    with progress_bar("simulating") as bar:
        task = bar.add_task("simulating the city", total=100)

        def sim_step(stage: str, fraction: float) -> None:
            bar.update(task, completed=int(fraction * 100), description=stage)

        result = simulate(SimConfig(subscribers=subscribers, days=1, seed=seed), progress=sim_step)
        write(result, bundle_dir, "csv")
    console.print(f"[bold]1. simulated[/bold] {subscribers:,} subscribers, one day → {bundle_dir}")

    with progress_bar("screening") as bar:
        task = bar.add_task("screening every call", total=None)

        def replay_step(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        replayed = replay_bundle(
            bundle_dir,
            replay_dir,
            load_policy("cn"),
            authenticator=ShakenAuthenticator.from_bundle(bundle_dir),
            progress=replay_step,
        )
    console.print(f"[bold]2. replayed[/bold] through the screener → {replay_dir / 'verdicts.csv'}")
    print_replay(replayed)

    quality = evaluate(bundle_dir, replay_dir)
    write_evaluation(quality, replay_dir / "evaluation.json")
    console.print("[bold]3. detection quality[/bold] against the simulator's ground truth")
    print_evaluation(quality)

    analysis_dir = out_dir / "analysis"
    with progress_bar("analytics") as bar:
        bar.add_task("analysing the call records (DuckDB)", total=None)
        analyze(analysis_dir, bundle_dir)
    numbers = evaluate(bundle_dir, analysis_dir).numbers
    assert numbers is not None  # analyze wrote numbers.csv
    console.print(
        f"[bold]4. analytics[/bold] over the call records → {analysis_dir / 'numbers.csv'}, "
        f"{analysis_dir / 'report.html'}\n"
        f"numbers scored >= 0.5 against the truth: precision {numbers.precision:.4f}  "
        f"recall {numbers.recall:.4f}  F1 {numbers.f1:.4f}"
    )

    report = write_report(out_dir / "report.html", bundle_dir, replay_dir, replayed, quality)
    console.print(
        f"[bold]5. report[/bold] → {report}  (demo took {time.perf_counter() - started:.1f} s)"
    )


def analyze(out_dir: Path, bundle_dir: Path) -> None:
    """``ringfence analyze BUNDLE --out OUT`` on DuckDB (the detectors, no learned model)."""
    from ringfence.cli.analytics import analyze as analyze_command

    analyze_command(bundle_dir, out_dir)
