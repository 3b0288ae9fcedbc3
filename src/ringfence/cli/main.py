"""``ringfence``: the command line; README.md's command reference is generated from it.

Commands import what they need when they run, so ``ringfence --help`` starts fast.

Errors are mapped to exit codes in one place (:func:`main`): 0 success, 1 a ringfence error
(bad bundle, bad policy pack, ...) reported in one line naming the value and the reason,
2 usage errors (Typer's own).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ringfence.cli import analytics as analytics_cli
from ringfence.cli import store as store_cli
from ringfence.cli.render import console, out, print_evaluation, print_replay, progress_bar
from ringfence.cli.shaken import app as shaken_app
from ringfence.core.errors import RingfenceError
from ringfence.core.policy import Policy, load_policy, load_policy_file

app = typer.Typer(
    name="ringfence",
    help="ringfence: stop nuisance calls (STIR/SHAKEN, real-time screening, campaign detection).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(shaken_app, name="shaken")
app.command()(analytics_cli.analyze)
app.add_typer(analytics_cli.model_app, name="model")
app.command("serve")(store_cli.serve)
app.add_typer(store_cli.registry_app, name="registry")
app.add_typer(store_cli.tokens_app, name="tokens")

PolicyOption = Annotated[
    str,
    typer.Option(
        "--policy",
        help="Policy pack: a built-in name (cn, us) or the path of a TOML pack.",
    ),
]


def policy_from(name: str) -> Policy:
    """A built-in pack by name, or a pack file by path."""
    path = Path(name)
    return load_policy_file(path) if path.suffix == ".toml" else load_policy(name)


@app.command()
def sim(
    out_dir: Annotated[Path, typer.Option("--out", help="Directory to write the bundle to.")],
    subscribers: Annotated[
        int, typer.Option(min=500, help="Subscribers in the synthetic city.")
    ] = 20_000,
    days: Annotated[int, typer.Option(min=1, help="Days of traffic.")] = 1,
    seed: Annotated[
        int, typer.Option(help="Random seed; the same seed gives the same bundle.")
    ] = 1,
    fmt: Annotated[str, typer.Option("--format", help="csv or parquet.")] = "csv",
) -> None:
    """Write a synthetic bundle (a city's traffic with every nuisance actor, and ground truth)."""
    from ringfence.sim import KINDS, SimConfig, simulate, write

    if fmt not in ("csv", "parquet"):
        raise typer.BadParameter(f"{fmt!r} is not csv or parquet", param_hint="--format")
    with progress_bar("simulating") as bar:
        task = bar.add_task("simulating", total=100)

        def step(stage: str, fraction: float) -> None:
            bar.update(task, completed=int(fraction * 100), description=stage)

        result = simulate(SimConfig(subscribers=subscribers, days=days, seed=seed), progress=step)
        write(result, out_dir, fmt)
    table = Table(title=f"bundle {out_dir}")
    table.add_column("kind")
    table.add_column("nuisance")
    table.add_column("calls", justify="right")
    summary = result.summary()
    for kind, calls in summary.by_kind.items():
        table.add_row(kind, "yes" if KINDS[kind].nuisance else "", f"{calls:,}")
    out.print(table)
    out.print(f"{summary.calls:,} calls, {summary.nuisance_share:.1%} nuisance → {out_dir}")


@app.command()
def replay(
    bundle: Annotated[Path, typer.Argument(help="Bundle directory.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Directory for verdicts.csv.")],
    policy: PolicyOption = "cn",
    pki: Annotated[
        Path | None,
        typer.Option(
            help="STIR/SHAKEN trust (a `shaken pki init` directory) to verify the identity "
            "column with; default: BUNDLE/pki when the bundle has one.",
        ),
    ] = None,
) -> None:
    """Screen every call of BUNDLE in time order as if live; write OUT/verdicts.csv."""
    from ringfence.replay import replay_bundle
    from ringfence.shaken.screening import ShakenAuthenticator

    pack = policy_from(policy)
    authenticator = (
        ShakenAuthenticator.from_pki_dir(pki) if pki else ShakenAuthenticator.from_bundle(bundle)
    )
    with progress_bar("screening") as bar:
        task = bar.add_task("screening", total=None)

        def step(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        result = replay_bundle(bundle, out_dir, pack, authenticator=authenticator, progress=step)
    print_replay(result)


@app.command()
def evaluate(
    bundle: Annotated[Path, typer.Argument(help="Bundle directory (with truth files).")],
    out_dir: Annotated[Path, typer.Argument(help="Output of replay or analyze.")],
) -> None:
    """Precision, recall and F1 of OUT (verdicts.csv and/or numbers.csv) against BUNDLE's truth."""
    from ringfence.evaluate import evaluate as run_evaluation
    from ringfence.evaluate import write_evaluation

    result = run_evaluation(bundle, out_dir)
    print_evaluation(result)
    write_evaluation(result, out_dir / "evaluation.json")


@app.command()
def demo(
    out_dir: Annotated[Path, typer.Option("--out", help="Where the demo writes.")] = Path(
        "ringfence-demo"
    ),
    subscribers: Annotated[int, typer.Option(min=500, help="Subscribers in the city.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed of the city.")] = 7,
) -> None:
    """The main job: a synthetic city, replayed through the screener, with a report."""
    from ringfence.demo import run_demo

    run_demo(out_dir, subscribers=subscribers, seed=seed, console=out, progress_bar=progress_bar)


def main() -> None:
    """Entry point: run the app and map ringfence errors to a one-line message and exit 1."""
    try:
        app()
    except RingfenceError as exc:
        console.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        sys.exit(1)
