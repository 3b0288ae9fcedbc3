"""The commands end to end: sim → replay → evaluate, and errors mapped to exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ringfence.cli.main import app

runner = CliRunner()


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("city") / "bundle"
    result = runner.invoke(app, ["sim", "--out", str(out), "--subscribers", "1000", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "nuisance" in result.output
    return out


def test_sim_writes_a_bundle(city: Path) -> None:
    for table in ("cdrs", "enterprises", "trunks", "number_blocks", "consents", "truth_calls"):
        assert (city / f"{table}.csv").is_file(), table


def test_replay_then_evaluate(city: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    replayed = runner.invoke(app, ["replay", str(city), "--out", str(out)])
    assert replayed.exit_code == 0, replayed.output
    assert "verdicts by reason" in replayed.output
    assert (out / "verdicts.csv").is_file()
    evaluated = runner.invoke(app, ["evaluate", str(city), str(out)])
    assert evaluated.exit_code == 0, evaluated.output
    assert "detection by kind" in evaluated.output
    figures = json.loads((out / "evaluation.json").read_text("utf-8"))
    assert figures["calls"]["recall"] > 0.5
    assert figures["emergency_not_allowed"] == 0


def test_replay_with_the_us_pack(city: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["replay", str(city), "--out", str(tmp_path), "--policy", "us"])
    assert result.exit_code == 0, result.output


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    """The installed console entry point, as a user runs it."""
    code = "from ringfence.cli.main import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=False
    )


def test_a_missing_bundle_is_a_one_line_error_with_exit_1(tmp_path: Path) -> None:
    result = _run("replay", str(tmp_path / "nope"), "--out", str(tmp_path / "out"))
    assert result.returncode == 1
    assert "does not exist" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_malformed_policy_pack_is_a_one_line_error(city: Path, tmp_path: Path) -> None:
    pack = tmp_path / "bad.toml"
    pack.write_text("[pack]\nname = 'x'\n", "utf-8")
    result = _run("replay", str(city), "--out", str(tmp_path / "out"), "--policy", str(pack))
    assert result.returncode == 1
    assert "bad.toml" in result.stderr and "Traceback" not in result.stderr


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    result = _run("sim", "--out", str(tmp_path), "--format", "xml")
    assert result.returncode == 2
    assert "xml" in result.stderr
