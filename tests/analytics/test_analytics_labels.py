"""Training labels from a CSV file: 0/1 or a role; bad labels name their line."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ringfence.analytics.labels import csv_labels
from ringfence.bundle.schema import ROLE
from ringfence.core.errors import BundleError
from ringfence.evaluate import NUISANCE_ROLES


@given(st.lists(st.sampled_from(sorted(ROLE | {"0", "1"})), min_size=1, max_size=20))
def test_roles_and_bits_map_to_nuisance_labels(
    tmp_path_factory: pytest.TempPathFactory, labels: list[str]
) -> None:
    path = tmp_path_factory.mktemp("labels") / "labels.csv"
    rows = [f"+8613{i:09d},{label}" for i, label in enumerate(labels)]
    path.write_text("number,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    parsed = csv_labels(path)
    expected = [int(label == "1" or label in NUISANCE_ROLES) for label in labels]
    assert parsed.tolist() == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("number,label\n+8613800000000,maybe\n", "line 2"),
        ("number,role\n+8613800000000,1\n", "number,label"),
    ],
)
def test_bad_label_files_are_refused_with_the_reason(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "labels.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BundleError, match=message):
        csv_labels(path)
