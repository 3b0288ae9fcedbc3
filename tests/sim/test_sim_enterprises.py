"""Enterprise registry rows: unified social credit codes and the enterprises' trunks and blocks."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ringfence.sim import SimConfig
from ringfence.sim.enterprises import credit_code, is_valid_credit_code, open_enterprise
from ringfence.sim.kinds import Role
from ringfence.sim.world import World


@given(st.integers(min_value=0, max_value=2**32))
def test_credit_codes_are_well_formed(seed: int) -> None:
    code = credit_code(random.Random(seed))
    assert len(code) == 18 and code.startswith("91330")
    assert is_valid_credit_code(code)


@pytest.mark.parametrize(
    ("code", "valid"),
    [
        ("91350100M000100Y43", True),  # a published example of the standard
        ("91350100M000100Y44", False),  # wrong check character
        ("91350100M000100Y4", False),  # too short
        ("91350100M000100YI3", False),  # I is not in the alphabet
    ],
)
def test_credit_code_check(code: str, valid: bool) -> None:
    assert is_valid_credit_code(code) is valid


def test_open_enterprise_registers_trunk_block_and_roles() -> None:
    world = World(SimConfig(subscribers=500, seed=2))
    firm = open_enterprise(
        world,
        industry="finance",
        purpose="marketing",
        marketing=True,
        role=Role.MARKETING_CONSENTED,
        campaign_id="test-1",
        n_numbers=3,
    )
    (trunk,) = world.tables["trunks"]
    assert trunk == {
        "trunk_id": firm.trunk_id,
        "enterprise_id": firm.enterprise_id,
        "carrier": "ZJ-MOBILE",
        "marketing": True,
    }
    (block,) = world.tables["number_blocks"]
    assert block["holder_id"] == firm.enterprise_id and block["purpose"] == "marketing"
    assert len(firm.numbers) == 3 and all(n in firm.block for n in firm.numbers)
    rows = world.truth.rows(set(firm.numbers))
    assert {r["role"] for r in rows} == {"marketing_consented"}
    with pytest.raises(ValueError, match="industry 'bakery'"):
        open_enterprise(
            world, industry="bakery", purpose="service", marketing=False,
            role=Role.LEGIT, campaign_id="test-2",
        )  # fmt: skip
