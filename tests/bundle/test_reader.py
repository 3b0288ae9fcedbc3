"""Bundle.read: every validation rule, counts, line numbers, missing files and headers."""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ringfence.bundle import TABLES, Bundle, Reject, write_bundle, write_rejects
from ringfence.core.errors import BundleError

from .conftest import CDRS_HEADER, CDRS_ROW, VALID_ROWS, WriteText

OFFSET_HINT = "(expected ISO 8601 like 2019-03-01T09:30:00+08:00)"

# (table, values changed in its valid row, the reason expected, word for word)
RULES: list[tuple[str, dict[str, object], str]] = [
    ("cdrs", {"call_id": ""}, "call_id is missing"),
    ("cdrs", {"callee": None}, "callee is missing"),
    (
        "cdrs",
        {"start_time": "2019-03-01 09:30"},
        f"start_time '2019-03-01 09:30' has no UTC offset {OFFSET_HINT}",
    ),
    (
        "cdrs",
        {"start_time": "2019-03-01T09:30:00"},
        f"start_time '2019-03-01T09:30:00' has no UTC offset {OFFSET_HINT}",
    ),
    (
        "cdrs",
        {"start_time": "yesterday"},
        "start_time 'yesterday' is not a time (expected ISO 8601 like 2019-03-01T09:30:00+08:00)",
    ),
    (
        "cdrs",
        {"start_time": "2019-02-30T09:30:00+08:00"},
        "start_time '2019-02-30T09:30:00+08:00' is not a valid date and time"
        " (day is out of range for month)",
    ),
    ("cdrs", {"ring_ms": "-5"}, "ring_ms '-5' is not a whole number ≥ 0"),
    ("cdrs", {"talk_ms": "1.5"}, "talk_ms '1.5' is not a whole number ≥ 0"),
    (
        "cdrs",
        {"ingress": "satellite"},
        "ingress 'satellite' is not one of enterprise, interconnect, international, subscriber",
    ),
    (
        "cdrs",
        {"disposition": "hung_up"},
        "disposition 'hung_up' is not one of"
        " answered, busy, cancelled, failed, no_answer, rejected",
    ),
    (
        "cdrs",
        {"talk_ms": 1200, "disposition": "busy"},
        "talk_ms 1200 with disposition 'busy' (talk_ms must be 0 unless the call was answered)",
    ),
    (
        "enterprises",
        {"industry": "gambling"},
        "industry 'gambling' is not one of finance, hr, medical, other, real_estate, tourism",
    ),
    ("enterprises", {"name": ""}, "name is missing"),
    (
        "trunks",
        {"marketing": "yes"},
        "marketing 'yes' is not a boolean (expected true, false, 1 or 0)",
    ),
    (
        "number_blocks",
        {"last": "+862080000999"},
        "first '+8620800000000' and last '+862080000999' differ in length"
        " (a block spans numbers of one length)",
    ),
    (
        "number_blocks",
        {"first": "+8620800010000"},
        "first '+8620800010000' is greater than last '+8620800009999'",
    ),
    (
        "number_blocks",
        {"holder_type": "person"},
        "holder_type 'person' is not one of carrier, enterprise",
    ),
    (
        "number_blocks",
        {"purpose": "spam"},
        "purpose 'spam' is not one of general, marketing, service",
    ),
    ("consents", {"granted_at": ""}, "granted_at is missing"),
    (
        "refusals",
        {"refused_at": "2019-02-03"},
        f"refused_at '2019-02-03' has no UTC offset {OFFSET_HINT}",
    ),
    (
        "sanctions",
        {"ends_at": "2018-12-31T00:00:00+08:00"},
        "ends_at '2018-12-31T00:00:00+08:00' is before starts_at '2019-01-01T00:00:00+08:00'",
    ),
    (
        "sanctions",
        {"subject_type": "person"},
        "subject_type 'person' is not one of enterprise, number",
    ),
    (
        "reports",
        {"reported_at": "2019-03-01T25:00:00Z"},
        f"reported_at '2019-03-01T25:00:00Z' is not a time {OFFSET_HINT}",
    ),
    (
        "truth_numbers",
        {"role": "villain"},
        "role 'villain' is not one of call_bomber, fraud, legit, marketing_consented,"
        " marketing_unconsented, one_ring, robocall, spoofer",
    ),
    (
        "truth_calls",
        {"nuisance": "maybe"},
        "nuisance 'maybe' is not a boolean (expected true, false, 1 or 0)",
    ),
]


def _parquet_can_hold(name: str, change: dict[str, object]) -> bool:
    """Parquet keeps int and bool columns typed: text there cannot be written to it."""
    typed = {c.name for c in TABLES[name].columns if c.kind in ("int", "bool")}
    return not any(k in typed and isinstance(v, str) for k, v in change.items())


@pytest.mark.parametrize(
    ("name", "change", "reason", "fmt"),
    [
        (*rule, fmt)
        for fmt in ("csv", "parquet")
        for rule in RULES
        if fmt == "csv" or _parquet_can_hold(rule[0], rule[1])
    ],
)
def test_each_rule_rejects_the_row_with_a_reason_naming_the_value(
    tmp_path: Path, name: str, change: dict[str, object], reason: str, fmt: str
) -> None:
    bad = {**VALID_ROWS[name], **change}
    tables = {"cdrs": [VALID_ROWS["cdrs"]], name: [VALID_ROWS[name], bad]}
    if name == "cdrs":
        tables["cdrs"] = [VALID_ROWS["cdrs"], {**bad, "call_id": bad["call_id"] and "c2"}]
    write_bundle(tmp_path, tables, fmt)  # type: ignore[arg-type]
    read = Bundle(tmp_path).read(name)
    assert [(r.line, r.reason) for r in read.rejects] == [(3, reason)]
    assert read.table.num_rows == 1 and read.read == 2


def test_a_row_breaking_several_rules_lists_every_reason(write_text: WriteText) -> None:
    bundle = write_text("cdrs", f"{CDRS_HEADER}\n,2019-03-01,+86,,bogus,,-3,x,busy\n")
    (reject,) = Bundle(bundle).read("cdrs").rejects
    assert reject.reason.split("; ") == [
        "call_id is missing",
        f"start_time '2019-03-01' has no UTC offset {OFFSET_HINT}",
        "callee is missing",
        "ingress 'bogus' is not one of enterprise, interconnect, international, subscriber",
        "ring_ms '-3' is not a whole number ≥ 0",
        "talk_ms 'x' is not a whole number ≥ 0",
    ]
    assert str(reject).startswith("cdrs: line 2: call_id is missing; ")
    assert reject.row == ",2019-03-01,+86,,bogus,,-3,x,busy,"


def test_duplicate_call_id_rejects_the_later_row(write_text: WriteText) -> None:
    rows = [CDRS_ROW, CDRS_ROW.replace("c1", "c2"), CDRS_ROW]
    read = Bundle(write_text("cdrs", "\n".join([CDRS_HEADER, *rows]) + "\n")).read("cdrs")
    assert read.table["call_id"].to_pylist() == ["c1", "c2"]
    assert [(r.line, r.reason) for r in read.rejects] == [
        (4, "call_id 'c1' repeats the row at line 2")
    ]


def test_a_rejected_row_does_not_make_a_later_one_a_duplicate(write_text: WriteText) -> None:
    rows = [CDRS_ROW.replace(",busy", ",lost"), CDRS_ROW]
    read = Bundle(write_text("cdrs", "\n".join([CDRS_HEADER, *rows]) + "\n")).read("cdrs")
    assert read.table["call_id"].to_pylist() == ["c1"]
    assert [r.line for r in read.rejects] == [2]


def test_malformed_numbers_are_kept_for_the_screener(write_text: WriteText) -> None:
    row = CDRS_ROW.replace("+8613800000001", "86-138 (bad)").replace("+8613900000001", "?")
    read = Bundle(write_text("cdrs", f"{CDRS_HEADER}\n{row}\n")).read("cdrs")
    assert read.rejects == []
    assert read.table.select(["caller", "callee"]).to_pylist() == [
        {"caller": "86-138 (bad)", "callee": "?"}
    ]


def test_counts_reconcile_on_a_mixture_of_good_and_bad_rows(write_text: WriteText) -> None:
    good = [CDRS_ROW.replace("c1", f"g{i}") for i in range(40)]
    bad = [
        CDRS_ROW.replace("c1", "b1").replace("+08:00", ""),
        CDRS_ROW.replace("c1", "b2").replace(",busy", ",answered,extra"),
        CDRS_ROW.replace("c1", "b3").replace(",0,busy", ",9,busy"),
        CDRS_ROW.replace("c1", "g0"),
        "",  # a blank line is no row at all
        "only,three,values",
    ]
    lines = [row for pair in zip(good, bad + [""] * 34, strict=True) for row in pair if row]
    read = Bundle(write_text("cdrs", "\n".join([CDRS_HEADER, *lines]) + "\n")).read("cdrs")
    assert read.read == read.table.num_rows + len(read.rejects) == 45
    assert len(read.rejects) == 5
    assert read.table.num_rows == 40


def test_line_numbers_count_the_header_and_every_physical_line(write_text: WriteText) -> None:
    text = "\n".join(
        [
            CDRS_HEADER,  # line 1
            CDRS_ROW.replace("c1,", '"c,1",'),  # 2: a quoted comma
            CDRS_ROW.replace(",busy", ",lost").replace("c1,", "c2,"),  # 3: rejected
            "",  # 4: blank
            CDRS_ROW.replace("c1,", '"c\n3",'),  # 5-6: a quoted line break
            "short,row",  # 7: wrong number of values
            CDRS_ROW.replace("c1,", '"c\r\n4",').replace("0,busy", "1,busy"),  # 8-9: rejected
            CDRS_ROW.replace("c1,", "c5,").replace("+08:00", ""),  # 10: rejected
        ]
    )
    read = Bundle(write_text("cdrs", text)).read("cdrs")
    assert [r.line for r in read.rejects] == [3, 7, 8, 10]
    assert read.rejects[1] == Reject("cdrs", 7, "has 2 values where the header has 9", "short,row")
    assert read.table["call_id"].to_pylist() == ["c,1", "c\n3"]


def test_parquet_rejects_are_numbered_row_index_plus_two(tmp_path: Path) -> None:
    rows = [{**VALID_ROWS["cdrs"], "call_id": f"c{i}"} for i in range(5)]
    rows[3]["ring_ms"] = -1
    write_bundle(tmp_path, {"cdrs": rows}, "parquet")
    assert [(r.line, r.reason) for r in Bundle(tmp_path).read("cdrs").rejects] == [
        (5, "ring_ms -1 is not a whole number ≥ 0")
    ]


def test_parquet_of_other_tools_reads_typed_times_and_text(tmp_path: Path) -> None:
    rows = [VALID_ROWS["cdrs"]]
    table = pa.Table.from_pylist(rows).drop_columns(["identity"])
    pq.write_table(
        table.set_column(3, "callee", pa.array([13900000001])), tmp_path / "cdrs.parquet"
    )
    read = Bundle(tmp_path).read("cdrs")
    assert read.rejects == []
    assert read.table["callee"].to_pylist() == ["13900000001"]
    assert Bundle(tmp_path).rows("cdrs")[0]["start_time"] == rows[0]["start_time"]


def test_missing_optional_tables_read_as_empty_typed_tables(write_text: WriteText) -> None:
    bundle = Bundle(write_text("cdrs", f"{CDRS_HEADER}\n{CDRS_ROW}\n"))
    assert not bundle.has("sanctions")
    read = bundle.read("sanctions")
    assert (read.table.num_rows, read.rejects, read.read) == (0, [], 0)
    assert str(read.table.schema.field("starts_at").type) == "timestamp[us, tz=UTC]"
    assert bundle.rows("truth_calls") == []


def test_identity_column_may_be_absent_and_reads_empty(write_text: WriteText) -> None:
    read = Bundle(write_text("cdrs", f"{CDRS_HEADER}\n{CDRS_ROW}\n")).read("cdrs")
    assert read.table["identity"].to_pylist() == [""]


def test_rejects_of_all_tables_read_so_far_are_collected(
    write_text: WriteText, tmp_path: Path
) -> None:
    write_text("trunks", "trunk_id,enterprise_id,carrier,marketing\nt1,e1,cm,perhaps\n")
    bundle = Bundle(write_text("cdrs", f"{CDRS_HEADER}\n{CDRS_ROW.replace('busy', 'gone')}\n"))
    bundle.read("cdrs")
    bundle.read("trunks")
    bundle.read("cdrs")  # a table is read once
    assert [(r.table, r.line) for r in bundle.rejects()] == [("cdrs", 2), ("trunks", 2)]
    write_rejects(tmp_path / "out" / "rejects.csv", bundle.rejects())
    lines = (tmp_path / "out" / "rejects.csv").read_text().splitlines()
    assert lines[0] == "table,line,reason,row"
    assert (
        lines[2]
        == "trunks,2,\"marketing 'perhaps' is not a boolean (expected true, false, 1 or 0)\","
        '"t1,e1,cm,perhaps"'
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "has no header row"),
        ("call_id,start_time\nc1,x\n", "header lacks required column(s) caller, callee, ingress"),
        (f"{CDRS_HEADER},duration\n", "header has unknown column(s) 'duration'"),
        (f"{CDRS_HEADER},call_id\n", "column(s) call_id appear more than once"),
        (f"{CDRS_HEADER}\n{CDRS_ROW}\n".encode("utf-16").decode("latin-1"), "header"),
    ],
)
def test_a_file_with_a_bad_header_is_a_bundle_error(
    write_text: WriteText, text: str, message: str
) -> None:
    bundle = Bundle(write_text("cdrs", text))
    with pytest.raises(BundleError, match=re.escape(message)) as info:
        bundle.read("cdrs")
    assert "cdrs.csv" in str(info.value)


def test_a_file_that_is_not_utf8_is_a_bundle_error_naming_the_line(tmp_path: Path) -> None:
    (tmp_path / "cdrs.csv").write_bytes(f"{CDRS_HEADER}\n{CDRS_ROW}\nc2,\xff\n".encode("latin-1"))
    with pytest.raises(BundleError, match=r"cdrs.csv: line 3: is not UTF-8 text"):
        Bundle(tmp_path).read("cdrs")


def test_missing_directory_or_cdrs_is_a_bundle_error(tmp_path: Path, write_text: WriteText) -> None:
    with pytest.raises(BundleError, match="does not exist"):
        Bundle(tmp_path / "nowhere")
    write_text("trunks", "trunk_id,enterprise_id,carrier,marketing\n")
    with pytest.raises(BundleError, match="has no cdrs table"):
        Bundle(tmp_path)


def test_both_formats_of_one_table_is_a_bundle_error(tmp_path: Path) -> None:
    write_bundle(tmp_path, {"cdrs": [VALID_ROWS["cdrs"]]}, "csv")
    pq.write_table(pa.table({"x": [1]}), tmp_path / "cdrs.parquet")
    with pytest.raises(BundleError, match=r"has both cdrs\.csv and cdrs\.parquet"):
        Bundle(tmp_path)


def test_an_unknown_table_name_is_a_bundle_error(write_text: WriteText) -> None:
    bundle = Bundle(write_text("cdrs", f"{CDRS_HEADER}\n"))
    with pytest.raises(BundleError, match="no bundle table is called 'cdr'"):
        bundle.has("cdr")
