"""Registry records several test suites (and the HTTP benchmark) start from."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ringfence.store import records

#: The marketing block of enterprise E1: what its trunk T1 may present.
E1_FIRST, E1_LAST = "+862155550000", "+862155559999"


def put_marketing_enterprise(
    s: Session, *, actor: str, at: float, industry: str = "hr", name: str = "E1"
) -> None:
    """Enterprise E1 (``industry``) with marketing trunk T1 and its marketing number block."""
    records.put_enterprise(s, actor=actor, at=at, enterprise_id="E1", name=name, industry=industry)
    records.put_trunk(s, actor=actor, at=at, trunk_id="T1", enterprise_id="E1", marketing=True)
    records.add_block(
        s,
        actor=actor,
        at=at,
        first=E1_FIRST,
        last=E1_LAST,
        holder_type="enterprise",
        holder_id="E1",
        purpose="marketing",
    )
