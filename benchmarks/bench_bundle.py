"""How fast a bundle's cdrs table is read and validated, against bare pyarrow reading the same file.

The floor is ``pyarrow.csv.read_csv`` / ``pyarrow.parquet.read_table`` with default options
(types inferred, all cores); ``Bundle.read`` also validates and types every value, on one core.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from ringfence.bundle import Bundle, write_bundle

_START = np.datetime64("2019-03-01T00:00:00", "us")
_DISPOSITIONS = np.array(["answered", "no_answer", "busy", "cancelled", "rejected", "failed"])
_INGRESS = np.array(["subscriber", "enterprise", "interconnect", "international"])


def synthetic_cdrs(rows: int, seed: int = 7) -> pa.Table:
    """A plausible cdrs table of ``rows`` calls over one day, times at +08:00."""
    rng = np.random.default_rng(seed)
    disposition = _DISPOSITIONS[rng.integers(0, len(_DISPOSITIONS), rows)]
    answered = disposition == "answered"
    start = _START + np.sort(rng.integers(0, 86_400_000_000, rows)).astype("timedelta64[us]")
    return pa.table(
        {
            "call_id": [f"c{i:08d}" for i in range(rows)],
            "start_time": pa.array(start, pa.timestamp("us", tz="UTC")),
            "caller": [f"+86138{n:08d}" for n in rng.integers(0, 10**8, rows)],
            "callee": [f"+86139{n:08d}" for n in rng.integers(0, 10**8, rows)],
            "ingress": _INGRESS[rng.integers(0, len(_INGRESS), rows)],
            "trunk_id": np.where(rng.random(rows) < 0.2, "t0001", ""),
            "ring_ms": rng.integers(0, 60_000, rows),
            "talk_ms": np.where(answered, rng.integers(1, 600_000, rows), 0),
            "disposition": disposition,
            "start_time_offset_min": pa.array(np.full(rows, 480), pa.int16()),
        }
    )


def _best_of(repeat: int, action: Callable[[Path], object], path: Path) -> float:
    """The shortest wall time of ``repeat`` runs of ``action(path)`` (seconds)."""
    times = []
    for _ in range(repeat):
        begin = time.perf_counter()
        action(path)
        times.append(time.perf_counter() - begin)
    return min(times)


def _read_cdrs(directory: Path) -> object:
    return Bundle(directory).read("cdrs")


_FLOORS: dict[str, Callable[[Path], object]] = {
    "csv": pcsv.read_csv,
    "parquet": pq.read_table,
}


def main(quick: bool = False) -> dict[str, float]:
    """Measure rows/s of ``Bundle.read('cdrs')`` for CSV and Parquet and the ratio to the floor."""
    rows = 50_000 if quick else 500_000
    repeat = 2 if quick else 3
    table = synthetic_cdrs(rows)
    figures: dict[str, float] = {"rows": float(rows)}
    with tempfile.TemporaryDirectory() as tmp:
        for fmt, floor in _FLOORS.items():
            directory = Path(tmp) / fmt
            write_bundle(directory, {"cdrs": table}, fmt=fmt)  # type: ignore[arg-type]
            file = directory / f"cdrs.{fmt}"
            ours = _best_of(repeat, _read_cdrs, directory)
            bare = _best_of(repeat, floor, file)
            read = Bundle(directory).read("cdrs")
            assert read.table.num_rows == rows and not read.rejects, "synthetic rows must be valid"
            figures[f"{fmt}_rows_per_s"] = rows / ours
            figures[f"{fmt}_floor_rows_per_s"] = rows / bare
            figures[f"{fmt}_ratio_to_floor"] = ours / bare
            size = file.stat().st_size / 1e6
            print(
                f"bundle {fmt:7s} {rows:>9,} rows {size:6.1f} MB: Bundle.read {ours:6.3f} s "
                f"({rows / ours:>11,.0f} rows/s); bare pyarrow {bare:6.3f} s "
                f"({rows / bare:>11,.0f} rows/s); ratio {ours / bare:5.1f}x"
            )
    return figures


if __name__ == "__main__":
    main()
