"""Fixtures more than one suite uses."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def compiled_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ringfence built by mypyc (``RINGFENCE_MYPYC=1``, as ``make compiled``) into a directory
    to put on ``PYTHONPATH``: built once per test session (about 100 s), for every suite that
    compares it with the pure-Python package."""
    if not (shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")):
        if os.environ.get("CI") == "true":
            pytest.fail("no C compiler: the compiled build cannot be made (apt-get install gcc)")
        pytest.skip("no C compiler (cc/gcc): the compiled build is not made")
    target = tmp_path_factory.mktemp("mypyc") / "compiled"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "--no-deps", "--no-build-isolation", "--target", str(target), str(ROOT)],
        env={**os.environ, "RINGFENCE_MYPYC": "1"},
        check=True,
        capture_output=True,
    )  # fmt: skip
    return target
