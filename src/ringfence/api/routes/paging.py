"""Parameters shared by the listing and record endpoints: paging and record ids."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

Limit = Annotated[int, Query(ge=1, le=1000, description="Page size.")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Records to skip.")]
#: The numeric id of a record (blocks, sanctions, consents, appeals): a 63-bit integer.
RecordId = Annotated[int, Path(ge=1, le=2**63 - 1, description="Record id.")]
