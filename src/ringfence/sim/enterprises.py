"""Enterprise customers of the carrier: registry rows, trunks and the numbers they hold.

Every enterprise gets a well-formed 18-character unified social credit code (统一社会信用代码,
GB 32100-2015, with its organisation code and both check characters), one trunk, and a block
of business lines (or a 95xxx service number for a bank). The plan's clause 1 — "manage voice
lines and number resources, bind customers by contract" — is exactly these rows.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ringfence.sim.kinds import Role
from ringfence.sim.numbers import CARRIER_ID, Block
from ringfence.sim.world import World

_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
#: Hangzhou and its districts (administrative division codes).
_DIVISIONS = ("330100", "330102", "330105", "330106", "330108", "330110")

_BRANDS = (
    "Xinda", "Huarui", "Yongsheng", "Tianhe", "Jinqiao", "Minghui", "Ruifeng", "Haoyun",
    "Kangtai", "Zhongxin", "Hengtong", "Baiyi", "Longteng", "Qianjiang", "Xihu", "Fuchun",
)  # fmt: skip
_TRADES = {
    "finance": "Wealth Management",
    "real_estate": "Property Agency",
    "medical": "Health Products",
    "hr": "Human Resources",
    "tourism": "Travel Service",
    "other": "Trading",
}
INDUSTRIES = tuple(_TRADES)


def _org_code(rng: random.Random) -> str:
    body = "".join(rng.choices("0123456789", k=8))
    check = 11 - sum(int(c) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True)) % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def _uscc_check(first17: str) -> str:
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_CHARS[(31 - total % 31) % 31]


def credit_code(rng: random.Random) -> str:
    """A random, well-formed unified social credit code of a Hangzhou enterprise."""
    first17 = "91" + rng.choice(_DIVISIONS) + _org_code(rng)
    return first17 + _uscc_check(first17)


def is_valid_credit_code(code: str) -> bool:
    """Whether ``code`` is 18 characters of the code's alphabet with a correct check character."""
    return (
        len(code) == 18
        and all(c in _USCC_CHARS for c in code)
        and _uscc_check(code[:17]) == code[17]
    )


@dataclass(frozen=True)
class Enterprise:
    """An enterprise as its traffic generator needs it: its trunk and the numbers it presents."""

    enterprise_id: str
    industry: str
    trunk_id: str
    numbers: tuple[str, ...]
    block: Block


def open_enterprise(
    world: World,
    *,
    industry: str,
    purpose: str,
    marketing: bool,
    role: Role,
    campaign_id: str,
    n_numbers: int = 1,
    service_number: str = "",
    name: str = "",
) -> Enterprise:
    """Register an enterprise with one trunk and one block, and give its numbers their role.

    The block is a fresh range of 100 business lines, or ``first=last=service_number`` for a
    short service number such as a bank's 95588. ``n_numbers`` of the block are in use.
    """
    if industry not in _TRADES:
        raise ValueError(f"industry {industry!r}: must be one of {', '.join(_TRADES)}")
    rng = world.rng("enterprise", campaign_id)
    serial = len(world.tables["enterprises"]) + 1
    enterprise_id, trunk_id = f"E{serial:04d}", f"T{serial:04d}"
    if service_number:
        block = Block(world.plan.claim(service_number), service_number)
        numbers: tuple[str, ...] = (service_number,)
    else:
        block = world.plan.enterprise_block(100)
        stem = block.first[:-2]
        numbers = tuple(
            world.plan.claim(f"{stem}{i:02d}") for i in sorted(rng.sample(range(100), n_numbers))
        )
    name = name or f"Hangzhou {rng.choice(_BRANDS)} {_TRADES[industry]} Co., Ltd."
    world.add_row(
        "enterprises",
        enterprise_id=enterprise_id,
        name=name,
        industry=industry,
        credit_code=credit_code(rng),
    )
    world.add_row(
        "trunks",
        trunk_id=trunk_id,
        enterprise_id=enterprise_id,
        carrier=CARRIER_ID,
        marketing=marketing,
    )
    world.add_row(
        "number_blocks",
        first=block.first,
        last=block.last,
        holder_type="enterprise",
        holder_id=enterprise_id,
        purpose=purpose,
    )
    for number in numbers:
        world.truth.register(number, role, campaign_id)
    return Enterprise(enterprise_id, industry, trunk_id, numbers, block)
