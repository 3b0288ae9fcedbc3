"""The commands end to end on DuckDB: model train, analyze (with report), publish, evaluate."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import sqlalchemy
import typer
from typer.testing import CliRunner

from ringfence.analytics.model import NumberModel
from ringfence.cli.analytics import analyze, model_app
from ringfence.evaluate import evaluate

app = typer.Typer()
app.command()(analyze)
app.add_typer(model_app, name="model")


def test_model_train_then_analyze_writes_numbers_report_and_publishes(
    city: Path, model: NumberModel, tmp_path: Path
) -> None:
    model_path = tmp_path / "model.joblib"
    trained = CliRunner().invoke(
        app, ["model", "train", str(city), "--labels", "registry", "--out", str(model_path)]
    )
    assert trained.exit_code == 0, trained.output
    assert NumberModel.load(model_path).positives > 0

    model.save(tmp_path / "other.joblib")  # analyse with a model trained on another city
    out, db = tmp_path / "out", f"sqlite:///{tmp_path / 'registry.db'}"
    result = CliRunner().invoke(
        app,
        [
            "analyze",
            str(city),
            "--out",
            str(out),
            "--model",
            str(tmp_path / "other.joblib"),
            "--publish",
            "--db",
            db,
        ],
    )
    assert result.exit_code == 0, result.output
    numbers = pd.read_csv(out / "numbers.csv", keep_default_na=False)
    assert list(numbers.columns) == ["number", "score", "category", "reasons"]
    assert numbers["number"].is_unique
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "<svg" in report and "Campaigns" in report

    quality = evaluate(city, out).numbers
    assert quality is not None and quality.f1 >= 0.9, quality

    with sqlalchemy.create_engine(db).connect() as conn:
        published = conn.execute(sqlalchemy.text("SELECT count(*) FROM reputation")).scalar()
    assert published == ((numbers["score"] >= 0.5) | (numbers["reasons"] != "")).sum()


def test_publish_without_db_is_a_usage_error(city: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["analyze", str(city), "--out", str(tmp_path), "--publish"])
    assert result.exit_code == 2
    assert "--db" in result.output
