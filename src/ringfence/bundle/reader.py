"""Reading a bundle: locate its table files, validate them, keep the rejects.

    bundle = Bundle("city/")
    cdrs = bundle.read("cdrs")            # TableRead: typed pa.Table + rejects + count read
    enterprises = bundle.rows("enterprises")
    write_rejects("out/rejects.csv", bundle.rejects())

Each table is ``<name>.csv`` or ``<name>.parquet``; a missing file is an empty table, except
``cdrs`` without which the directory is not a bundle. Having both files of one table is an
error (which one would be meant?). A table is read once; later calls return the same result.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from ringfence.bundle.rejects import Reject, write_rejects
from ringfence.bundle.schema import TABLES, TableSchema, offset_column
from ringfence.bundle.source import load_csv, load_parquet
from ringfence.bundle.validate import TableRead, empty_read, validate
from ringfence.core.errors import BundleError

__all__ = ["Bundle", "Reject", "TableRead", "write_rejects"]

_LOADERS = {".csv": load_csv, ".parquet": load_parquet}


class Bundle:
    """A bundle directory, read table by table on demand."""

    def __init__(self, path: str | Path) -> None:
        """Open the bundle at ``path``; BundleError if it is not a directory or has no cdrs."""
        self.path = Path(path)
        if not self.path.is_dir():
            raise BundleError(f"bundle {self.path} does not exist or is not a directory")
        self._files = {name: file for name in TABLES if (file := self._locate(name)) is not None}
        if "cdrs" not in self._files:
            raise BundleError(f"bundle {self.path} has no cdrs table (cdrs.csv or cdrs.parquet)")
        self._reads: dict[str, TableRead] = {}

    def has(self, name: str) -> bool:
        """Whether the bundle has a file for table ``name`` (BundleError if no such table)."""
        _schema(name)
        return name in self._files

    def read(self, name: str) -> TableRead:
        """Table ``name`` validated and typed (see schema.py for the types); rows that fail
        validation are in ``rejects``. A table without a file reads as empty.
        """
        if name not in self._reads:
            schema = _schema(name)
            file = self._files.get(name)
            if file is None:
                self._reads[name] = empty_read(schema)
            else:
                self._reads[name] = validate(schema, _LOADERS[file.suffix](file, schema))
        return self._reads[name]

    def rows(self, name: str) -> list[dict[str, object]]:
        """The accepted rows of table ``name`` as dicts of Python values, for small tables.

        Times are aware datetimes in the offset the file gave (``+08:00`` stays ``+08:00``);
        the ``<col>_offset_min`` columns are folded into them and not repeated.
        """
        schema = _schema(name)
        rows: list[dict[str, object]] = self.read(name).table.to_pylist()
        for row in rows:
            for column in schema.time_columns():
                offset = row.pop(offset_column(column.name))
                instant = row[column.name]
                if isinstance(instant, datetime) and isinstance(offset, int):
                    row[column.name] = instant.astimezone(_zone(offset))
        return rows

    def rejects(self) -> list[Reject]:
        """The rejects of every table read so far, table by table in reading order."""
        return [reject for read in self._reads.values() for reject in read.rejects]

    def _locate(self, name: str) -> Path | None:
        found = [self.path / f"{name}{suffix}" for suffix in _LOADERS]
        found = [file for file in found if file.is_file()]
        if len(found) > 1:
            raise BundleError(
                f"bundle {self.path} has both {found[0].name} and {found[1].name}; keep one"
            )
        return found[0] if found else None


def _schema(name: str) -> TableSchema:
    try:
        return TABLES[name]
    except KeyError:
        raise BundleError(
            f"no bundle table is called {name!r} (tables: {', '.join(TABLES)})"
        ) from None


_ZONES: dict[int, timezone] = {}


def _zone(offset_min: int) -> timezone:
    """The fixed-offset zone of ``offset_min`` minutes east of UTC (one object per offset)."""
    if offset_min not in _ZONES:
        _ZONES[offset_min] = timezone(timedelta(minutes=offset_min))
    return _ZONES[offset_min]
