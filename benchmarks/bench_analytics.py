"""Call-record analytics throughput on DuckDB: features, detectors and scoring of N CDRs.

The input is a Parquet file of N calls made by tiling a simulated city's day: tile ``k`` is
shifted by ``k // 8`` days and, for ``k % 8``, its +86 numbers get their last four digits
rotated, so the file has many days and eight times the city's numbers (realistic joins and
distinct counts) without simulating N calls in Python.

Two baselines run on the same file in the same run:

- the floor: one bare DuckDB ``GROUP BY caller`` (calls, distinct callees, answered, talk);
- pandas: what a user would otherwise write for the traffic features (volume, outcome,
  night share, most calls to one callee, sequential dialling, sliding-hour peak), vectorised
  but without the registry joins, ranges, reciprocity or targets ringfence also computes.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ringfence.analytics import features as feats
from ringfence.analytics.engines import connect, stager
from ringfence.analytics.ingest import ingest, prepare_calls
from ringfence.analytics.pipeline import score_features, train_on
from ringfence.bundle import Bundle
from ringfence.sim import SimConfig, simulate, write

_SEED, _TRAIN_SEED = 21, 22
_VARIANTS = 8


def _rotate(numbers: pa.ChunkedArray, k: int) -> pa.Array:
    """+86 numbers of 14 characters with their last four digits rotated by ``k``."""
    array = numbers.combine_chunks()
    if k == 0:
        return array
    plain = pc.match_substring_regex(array, r"^\+86\d{11}$")
    head = pc.utf8_slice_codeunits(array, 0, 10)
    tail = pc.cast(
        pc.utf8_slice_codeunits(pc.if_else(plain, array, "+860000000000"), 10, 14), pa.int64()
    )
    rotated = pc.binary_join_element_wise(
        head,
        pc.utf8_lpad(pc.cast(pc.bit_wise_and(pc.add(tail, 1237 * k), 8191), pa.string()), 4, "0"),
        "",
    )
    return pc.if_else(plain, rotated, array)


def tiled_cdrs(city: pa.Table, rows: int) -> pa.Table:
    """``rows`` calls tiled from ``city``'s validated cdrs (see the module docstring)."""
    tiles = []
    for k in range(-(-rows // city.num_rows)):
        shift = pa.scalar((k // _VARIANTS) * 86_400_000_000, pa.duration("us"))
        variant = k % _VARIANTS
        tiles.append(
            city.set_column(0, "call_id", pc.binary_join_element_wise(city["call_id"], f"-{k}", ""))
            .set_column(1, "start_time", pc.add(city["start_time"], shift))
            .set_column(2, "caller", _rotate(city["caller"], variant))
            .set_column(3, "callee", _rotate(city["callee"], variant))
        )
    return pa.concat_tables(tiles).slice(0, rows)


def _floor(path: Path) -> float:
    con = duckdb.connect()
    start = time.perf_counter()
    con.sql(
        f"SELECT caller, count(*), count(DISTINCT callee), sum((disposition = 'answered')::INT), "
        f"sum(talk_ms) FROM read_parquet('{path}') GROUP BY caller"
    ).fetch_arrow_table()
    return time.perf_counter() - start


def pandas_features(path: Path) -> pd.DataFrame:
    """The traffic features in plain pandas (see the module docstring)."""
    df = pq.read_table(path).to_pandas()
    df = df[df["caller"] != ""]
    t = df["start_time"].astype("int64") // 1_000_000
    local_hour = ((t + df["start_time_offset_min"].astype("int64") * 60) // 3600) % 24
    answered = df["disposition"] == "answered"
    df = df.assign(
        t=t,
        answered=answered,
        short_ring=df["disposition"].isin(["cancelled", "no_answer"]) & (df["ring_ms"] <= 5000),
        night=(local_hour >= 22) | (local_hour < 7),
        digits=pd.to_numeric(df["callee"].str.lstrip("+"), errors="coerce"),
    )
    grouped = df.groupby("caller")
    out = grouped.agg(
        calls=("t", "size"),
        callees=("callee", "nunique"),
        answered=("answered", "sum"),
        short_rings=("short_ring", "sum"),
        night_calls=("night", "sum"),
        talk_ms_sum=("talk_ms", "sum"),
    )
    pairs = df.groupby(["caller", "callee"]).agg(n=("t", "size"), digits=("digits", "max"))
    pairs = pairs.reset_index().sort_values(["caller", "digits"])
    step = pairs["digits"].diff().where(pairs["caller"].eq(pairs["caller"].shift()))
    pairs["sequential"] = step.between(1, 10)
    out = out.join(pairs.groupby("caller").agg(max_to_one=("n", "max"), seq=("sequential", "sum")))
    ordered = df.sort_values(["caller", "t"])
    code = ordered["caller"].astype("category").cat.codes.to_numpy(np.int64)
    key = code * 10**11 + ordered["t"].to_numpy(np.int64)
    in_hour = np.arange(len(key)) - np.searchsorted(key, key - 3599)
    out["peak_hour"] = (
        pd.Series(in_hour + 1, index=ordered["caller"].to_numpy()).groupby(level=0).max()
    )
    return out


def main(quick: bool = False) -> dict[str, float]:
    rows = 200_000 if quick else 10_000_000
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for seed in (_SEED, _TRAIN_SEED):
            write(
                simulate(SimConfig(subscribers=20_000, seed=seed)), root / f"city{seed}", "parquet"
            )
        model = train_on([(Bundle(root / f"city{_TRAIN_SEED}"), "registry")])
        city = ingest(root / f"city{_SEED}", connect("duckdb"))
        cdrs_file = root / "cdrs.parquet"
        pq.write_table(
            tiled_cdrs(Bundle(root / f"city{_SEED}").read("cdrs").table, rows), cdrs_file
        )

        floor_s = _floor(cdrs_file)
        start = time.perf_counter()
        con = connect("duckdb")
        calls = prepare_calls(con.read_parquet(cdrs_file))
        collected = feats.collect(con, feats.number_features(calls, city.registry, stager(con)))
        features_s = time.perf_counter() - start
        scored = score_features(collected, model)
        total_s = time.perf_counter() - start
        start = time.perf_counter()
        pandas_features(cdrs_file)
        pandas_s = time.perf_counter() - start

    figures = {
        "rows": float(rows),
        "numbers": float(len(scored)),
        "flagged": float((scored["score"] >= 0.5).sum()),
        "features_s": features_s,
        "scoring_s": total_s - features_s,
        "total_s": total_s,
        "cdrs_per_s": rows / total_s,
        "floor_group_by_s": floor_s,
        "ratio_to_floor": total_s / floor_s,
        "pandas_features_s": pandas_s,
        "ratio_to_pandas": total_s / pandas_s,
    }
    print(f"analytics on DuckDB: {rows:,} CDRs, {len(scored):,} numbers")
    print(
        f"  features {features_s:.1f} s + detectors and scoring {total_s - features_s:.1f} s "
        f"= {total_s:.1f} s ({rows / total_s:,.0f} CDRs/s)"
    )
    print(f"  bare DuckDB GROUP BY caller: {floor_s:.2f} s (ringfence is {total_s / floor_s:.1f}x)")
    print(
        f"  pandas traffic features:    {pandas_s:.1f} s (ringfence is {total_s / pandas_s:.2f}x)"
    )
    return figures


if __name__ == "__main__":
    main(quick=True)
