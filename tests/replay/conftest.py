"""Small hand-made bundles for the replay tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ringfence.bundle import write_bundle


@pytest.fixture
def make_bundle(tmp_path: Path) -> Callable[..., Path]:
    """Write the given tables as a CSV bundle and return its directory."""

    def make(**tables: list[dict[str, object]]) -> Path:
        path = tmp_path / "bundle"
        write_bundle(path, tables)
        return path

    return make
