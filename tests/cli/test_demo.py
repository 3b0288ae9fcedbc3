"""`ringfence demo` end to end on a small city: every step runs and the report has its charts."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ringfence.cli.main import app


@pytest.mark.slow
def test_demo_writes_its_report(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = CliRunner().invoke(app, ["demo", "--out", str(out), "--subscribers", "1000"])
    assert result.exit_code == 0, result.output
    steps = ("1. simulated", "2. replayed", "3. detection quality", "4. analytics", "5. report")
    for step in steps:
        assert step in result.output
    html = (out / "report.html").read_text("utf-8")
    assert html.count("<svg") == 4  # over the day, by reason, by industry, detection by kind
    assert "Detection by kind of nuisance" in html
    assert (out / "replay" / "verdicts.csv").is_file()
    assert (out / "analysis" / "numbers.csv").is_file()
