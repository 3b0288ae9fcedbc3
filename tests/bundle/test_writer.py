"""write_bundle: column order, formatting, round trips through the reader in both formats."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from ringfence.bundle import TABLES, Bundle, write_bundle
from ringfence.core.errors import BundleError

from .conftest import VALID_ROWS

FORMATS = ["csv", "parquet"]


def _comparable(value: object) -> object:
    """Datetimes compare by instant *and* offset (the writer must keep the offset)."""
    if isinstance(value, datetime):
        return (value, value.utcoffset())
    return value


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", list(TABLES))
def test_round_trip_keeps_values_and_schema_order(tmp_path: Path, name: str, fmt: str) -> None:
    row = VALID_ROWS[name]
    write_bundle(tmp_path, {"cdrs": [VALID_ROWS["cdrs"]], name: [row]}, fmt=fmt)  # type: ignore[arg-type]
    read = Bundle(tmp_path).read(name)
    assert read.rejects == []
    assert read.table.column_names[: len(TABLES[name].columns)] == list(TABLES[name].names)
    (got,) = Bundle(tmp_path).rows(name)
    assert {k: _comparable(v) for k, v in got.items()} == {
        k: _comparable(v) for k, v in row.items()
    }


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", list(TABLES))
def test_typed_table_from_the_reader_writes_back_identically(
    tmp_path: Path, name: str, fmt: str
) -> None:
    write_bundle(tmp_path / "a", {"cdrs": [VALID_ROWS["cdrs"]], name: [VALID_ROWS[name]]})
    first = Bundle(tmp_path / "a").read(name).table
    write_bundle(tmp_path / "b", {"cdrs": [VALID_ROWS["cdrs"]], name: first}, fmt=fmt)  # type: ignore[arg-type]
    assert Bundle(tmp_path / "b").read(name).table.equals(first)


def test_csv_text_keeps_offsets_and_quotes_only_what_needs_it(tmp_path: Path) -> None:
    write_bundle(
        tmp_path, {"cdrs": [VALID_ROWS["cdrs"]], "enterprises": [VALID_ROWS["enterprises"]]}
    )
    header, line = (tmp_path / "cdrs.csv").read_text().splitlines()
    assert header == ",".join(TABLES["cdrs"].names)
    assert line.startswith("c1,2019-03-01T09:30:00+08:00,+8613800000001,")
    assert line.endswith(
        ',"eyJhbGciOiJFUzI1NiJ9.e30.sig;info=<https://cr.example/c.pem>;ppt=""shaken"""'
    )
    enterprise = (tmp_path / "enterprises.csv").read_text().splitlines()[1]
    assert enterprise == 'e1,"Pearl River Realty, Ltd.",real_estate,91440101MA59XXXX0X'


def test_bools_are_written_true_false_and_none_as_empty(tmp_path: Path) -> None:
    rows = [
        {"trunk_id": "t1", "enterprise_id": "e1", "carrier": "cm", "marketing": True},
        {"trunk_id": "t2", "enterprise_id": "e1", "carrier": None, "marketing": False},
    ]
    write_bundle(tmp_path, {"cdrs": [], "trunks": rows})
    assert (tmp_path / "trunks.csv").read_text().splitlines()[1:] == [
        "t1,e1,cm,true",
        "t2,e1,,false",
    ]


def test_strings_are_written_as_given_even_if_malformed(tmp_path: Path) -> None:
    row = {**VALID_ROWS["cdrs"], "start_time": "2019-03-01 09:30", "ring_ms": "-5"}
    write_bundle(tmp_path, {"cdrs": [row]})
    assert ",2019-03-01 09:30," in (tmp_path / "cdrs.csv").read_text()
    assert ",-5," in (tmp_path / "cdrs.csv").read_text()


def test_parquet_types_int_and_bool_columns(tmp_path: Path) -> None:
    write_bundle(
        tmp_path, {"cdrs": [VALID_ROWS["cdrs"]], "trunks": [VALID_ROWS["trunks"]]}, "parquet"
    )
    assert str(pq.read_schema(tmp_path / "cdrs.parquet").field("ring_ms").type) == "int64"
    assert str(pq.read_schema(tmp_path / "trunks.parquet").field("marketing").type) == "bool"
    assert str(pq.read_schema(tmp_path / "cdrs.parquet").field("start_time").type) == "string"


def test_writing_a_table_replaces_its_file_in_the_other_format(tmp_path: Path) -> None:
    write_bundle(tmp_path, {"cdrs": [VALID_ROWS["cdrs"]]}, "parquet")
    write_bundle(tmp_path, {"cdrs": [VALID_ROWS["cdrs"]]}, "csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cdrs.csv"]


@pytest.mark.parametrize(
    ("tables", "fmt", "message"),
    [
        ({"cdr": []}, "csv", "unknown bundle table(s) cdr"),
        ({"cdrs": [{**VALID_ROWS["cdrs"], "duration": 3}]}, "csv", "unknown column(s) duration"),
        (
            {"cdrs": [{**VALID_ROWS["cdrs"], "start_time": datetime(2019, 3, 1, 9, 30)}]},
            "csv",
            "start_time: datetime 2019-03-01 09:30:00 has no time zone offset",
        ),
        ({"cdrs": [{**VALID_ROWS["cdrs"], "ring_ms": "soon"}]}, "parquet", "ring_ms holds a value"),
        ({"cdrs": []}, "xlsx", "unknown bundle format 'xlsx'"),
    ],
)
def test_programming_mistakes_are_bundle_errors(
    tmp_path: Path, tables: dict[str, list[dict[str, object]]], fmt: str, message: str
) -> None:
    with pytest.raises(BundleError, match=re.escape(message)):
        write_bundle(tmp_path, tables, fmt)  # type: ignore[arg-type]
