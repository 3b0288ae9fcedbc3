"""``ringfence analyze`` and ``ringfence model train``: call-record analytics on the command line.

``analyze`` scores with the detectors, combined with a learned model when ``--model PATH``
gives one (``ringfence model train`` on labelled numbers: the bundles' own registry evidence —
sanctions, crowd reports, lines in good standing — or a CSV of reports confirmed by staff and
regulator decisions). The analytics never read truth files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ringfence.cli.render import out

model_app = typer.Typer(help="The learned number scorer: train it on labelled bundles.")


def analyze(
    bundle: Annotated[Path, typer.Argument(help="Bundle directory (CSV or Parquet tables).")],
    out_dir: Annotated[Path, typer.Option("--out", help="Where numbers.csv and report.html go.")],
    engine: Annotated[
        str, typer.Option(help="Where the analysis runs: duckdb or spark.")
    ] = "duckdb",
    model: Annotated[
        Path | None,
        typer.Option(
            help="A model from `ringfence model train` to combine with the detectors "
            "(default: the detectors alone)."
        ),
    ] = None,
    publish: Annotated[
        bool, typer.Option("--publish", help="Write the scores to the registry (needs --db).")
    ] = False,
    db: Annotated[str | None, typer.Option(help="Registry database URL for --publish.")] = None,
) -> None:
    """Score every calling number of BUNDLE: OUT/numbers.csv, OUT/report.html, OUT/rejects.csv."""
    if publish and not db:
        raise typer.BadParameter("--publish needs --db URL (the registry to write to)")
    from ringfence.analytics.model import NumberModel
    from ringfence.analytics.pipeline import analyze as run_analysis
    from ringfence.analytics.pipeline import write_numbers
    from ringfence.analytics.report import write_report
    from ringfence.bundle import write_rejects

    # Without a model the score is the detectors' alone: a default model would have to be
    # trained on someone's labels, and the analytics never read truth files by themselves.
    scorer = NumberModel.load(model) if model is not None else None
    analysis = run_analysis(bundle, engine=engine, model=scorer)
    write_numbers(analysis.numbers, out_dir / "numbers.csv")
    analysis.campaigns.to_csv(out_dir / "campaigns.csv", index=False)
    write_rejects(out_dir / "rejects.csv", analysis.rejects)
    write_report(analysis, out_dir / "report.html")
    out.print(
        f"{len(analysis.numbers):,} numbers, {len(analysis.flagged):,} flagged, "
        f"{len(analysis.campaigns):,} campaigns, {len(analysis.rejects):,} rows rejected "
        f"→ {out_dir}"
    )
    if publish and db:
        from ringfence.analytics.publish import publish as publish_scores

        written = publish_scores(analysis.numbers, db)
        out.print(f"published {written:,} scores to the registry")


@model_app.command("train")
def train(
    bundles: Annotated[list[Path], typer.Argument(help="Bundle directories to learn from.")],
    labels: Annotated[
        str,
        typer.Option(
            help="`registry`: each bundle's own registry evidence (sanctioned or crowd-reported "
            "numbers 1, unreported lines of the carrier and of enterprises in good standing 0); "
            "or a CSV number,label (label 1/0 or a role) applied to every bundle."
        ),
    ],
    model_out: Annotated[Path, typer.Option("--out", help="Where to write the model.")],
    engine: Annotated[
        str, typer.Option(help="Engine for the features: duckdb or spark.")
    ] = "duckdb",
) -> None:
    """Train the calibrated gradient-boosting scorer on labelled numbers of BUNDLES."""
    from ringfence.analytics.pipeline import train_on
    from ringfence.bundle import Bundle

    model = train_on([(Bundle(b), labels) for b in bundles], engine)
    model.save(model_out)
    out.print(
        f"trained on {model.trained_on:,} numbers ({model.positives:,} nuisance) → {model_out}"
    )
