"""National supplements to libphonenumber: the numbers of a plan it does not treat as callers.

libphonenumber (the ``phonenumbers`` package) knows which mobile, fixed-line, 400 and 800
ranges are allocated, but China's plan also has service numbers (95xxx/96xxx call centres),
short codes (10086, 12315, 12321 ...) and emergency numbers that it only lists as "short
numbers" dialled *to*. A bank calling from 95588 is standard, so the number plan needs them as
data. Each country's supplement is one :class:`Supplement` in :data:`SUPPLEMENTS`; adding a
country means adding a table here, not code in ``numberplan.py``.

Sources for the CN tables:

- MIIT, 《电信网编号计划（2017年版）》 (Telecommunication Network Numbering Plan, 2017 edition):
  the 1xx / 1xxxx short-code blocks (110, 119, 120, 122 emergency; 100xx carrier service;
  12xxx public-service hotlines), 95 + 3–6 digits national service numbers, 96 + 3–6 digits
  local service numbers, 400/800 ten-digit numbers.
- The named numbers are each organisation's own published hotline (ICBC 95588, 12321 the
  Internet and spam-reporting centre run by the Internet Society of China for MIIT, 12300 the
  MIIT telecom user complaint centre, 96110 the police anti-fraud warning line, ...). Every
  named short code is also a valid short number in libphonenumber's short-number metadata,
  which the tests check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum


class NumberKind(StrEnum):
    """What a number is used for: libphonenumber's types plus the national specials."""

    MOBILE = "mobile"
    FIXED_LINE = "fixed_line"
    FIXED_OR_MOBILE = "fixed_or_mobile"  # plans (US) where the range does not tell
    TOLL_FREE = "toll_free"  # CN 800
    SHARED_COST = "shared_cost"  # CN 400
    PREMIUM = "premium"
    VOIP = "voip"
    PERSONAL = "personal"
    PAGER = "pager"
    UAN = "uan"  # universal access number
    VOICEMAIL = "voicemail"
    SERVICE = "service"  # CN 95xxx / 96xxx call-centre numbers
    SHORT_CODE = "short_code"  # CN 100xx, 12xxx
    EMERGENCY = "emergency"  # CN 110, 119, 120, 122
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Block:
    """A block of special numbers: national significant numbers matching ``pattern`` entirely."""

    pattern: str
    kind: NumberKind
    name: str


@dataclass(frozen=True, slots=True)
class Shape:
    """The expected length of national numbers starting with ``prefix``: used only to explain
    in words why a number is invalid ('too short for a Chinese mobile number')."""

    prefix: str
    lengths: tuple[int, ...]
    words: str


@dataclass(frozen=True, slots=True)
class Special:
    """What a supplement says about one number: its kind, a name, and its carrier if any."""

    kind: NumberKind
    name: str
    carrier: str = ""


@dataclass(frozen=True)
class Supplement:
    """One country's additions to libphonenumber.

    ``blocks`` are tried in order (the first that matches wins); ``named`` gives the
    well-known numbers inside the blocks a specific name and, for carriers' own service
    numbers, the carrier. ``not_in_plan`` says why numbers people expect to work here are not
    numbers of this plan. ``time_zone`` is the local time of the special numbers.
    """

    region: str
    time_zone: str
    blocks: tuple[Block, ...]
    named: dict[str, tuple[str, str]]
    not_in_plan: dict[str, str]
    shapes: tuple[Shape, ...]
    _blocks_re: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # One alternation with a named group per block: a single regex call per number, and
        # alternation order gives the first-match-wins semantics of the table.
        union = "|".join(f"(?P<b{i}>{b.pattern})" for i, b in enumerate(self.blocks))
        object.__setattr__(self, "_blocks_re", re.compile(union))

    def special(self, national: str) -> Special | None:
        """The special number ``national`` (national significant number) is, or None."""
        match = self._blocks_re.fullmatch(national)
        if match is None or match.lastgroup is None:
            return None
        block = self.blocks[int(match.lastgroup[1:])]
        name, carrier = self.named.get(national, (block.name, ""))
        return Special(block.kind, name, carrier)

    def shape(self, national: str) -> Shape | None:
        """The first shape whose prefix ``national`` starts with, or None."""
        return next((s for s in self.shapes if national.startswith(s.prefix)), None)


CN = Supplement(
    region="CN",
    time_zone="Asia/Shanghai",
    blocks=(
        # 12119 and 12395 are emergency lines too (forest fire, distress at sea). 112 and 999
        # are deliberately absent (see not_in_plan).
        Block(r"11[09]|12[02]|12119|12395", NumberKind.EMERGENCY, "emergency service"),
        Block(r"100\d\d", NumberKind.SHORT_CODE, "carrier customer service (100xx)"),
        Block(r"114", NumberKind.SHORT_CODE, "directory enquiries"),
        Block(r"12\d{3}", NumberKind.SHORT_CODE, "public-service hotline (12xxx)"),
        Block(r"95\d{3,6}", NumberKind.SERVICE, "national service number (95xxx)"),
        Block(r"96\d{3,6}", NumberKind.SERVICE, "local service number (96xxx)"),
        Block(r"400\d{7}", NumberKind.SHARED_COST, "400 number"),
        Block(r"800\d{7}", NumberKind.TOLL_FREE, "800 freephone number"),
    ),
    named={
        # number: (name, carrier)
        "110": ("police 匪警", ""),
        "119": ("fire 火警", ""),
        "120": ("ambulance 医疗急救", ""),
        "122": ("traffic accidents 交通事故报警", ""),
        "12119": ("forest fire 森林火警", ""),
        "12395": ("distress at sea 水上遇险求救", ""),
        "10000": ("China Telecom customer service 中国电信客服", "China Telecom"),
        "10010": ("China Unicom customer service 中国联通客服", "China Unicom"),
        "10086": ("China Mobile customer service 中国移动客服", "China Mobile"),
        "10099": ("China Broadnet customer service 中国广电客服", "China Broadnet"),
        "12110": ("police SMS reports 短信报警", ""),
        "12300": ("MIIT telecom user complaints 电信用户申诉受理中心", ""),
        "12306": ("China Railway 铁路客服", ""),
        "12315": ("market regulation complaints 市场监管投诉举报", ""),
        "12321": ("spam and nuisance-call reports 网络不良与垃圾信息举报受理中心", ""),
        "12333": ("human resources and social security 人社服务", ""),
        "12345": ("government service hotline 政务服务便民热线", ""),
        "12348": ("legal aid 法律援助", ""),
        "12366": ("tax service 纳税服务", ""),
        "12381": ("anti-fraud warnings 涉诈预警劝阻", ""),
        "95511": ("Ping An 中国平安", ""),
        "95518": ("PICC 中国人保", ""),
        "95519": ("China Life 中国人寿", ""),
        "95528": ("SPD Bank 浦发银行", ""),
        "95533": ("China Construction Bank 建设银行", ""),
        "95555": ("China Merchants Bank 招商银行", ""),
        "95558": ("China CITIC Bank 中信银行", ""),
        "95559": ("Bank of Communications 交通银行", ""),
        "95561": ("Industrial Bank 兴业银行", ""),
        "95566": ("Bank of China 中国银行", ""),
        "95568": ("China Minsheng Bank 民生银行", ""),
        "95580": ("Postal Savings Bank 邮储银行", ""),
        "95588": ("ICBC 工商银行", ""),
        "95595": ("China Everbright Bank 光大银行", ""),
        "95599": ("Agricultural Bank of China 农业银行", ""),
        "96110": ("police anti-fraud warning line 反诈预警专线", ""),
    },
    not_in_plan={
        "112": "112 is not a number in China's plan (mobile handsets redirect it to 110)",
        "911": "911 is not a number in China's plan (emergency numbers are 110, 119, 120, 122)",
        "999": "999 is not a national number in China's plan (a Beijing-only ambulance line)",
    },
    shapes=(
        # Lengths are of the national significant number (without +86 or the trunk prefix 0).
        Shape("10", (10,), "a Beijing fixed-line number (area code 010, counted without the 0)"),
        Shape("1", (11,), "a Chinese mobile number"),
        Shape("400", (10,), "a Chinese 400 number"),
        Shape("800", (10,), "a Chinese 800 number"),
        Shape("95", (5, 6, 7, 8), "a Chinese 95xxx service number"),
        Shape("96", (5, 6, 7, 8), "a Chinese 96xxx service number"),
        Shape("2", (10,), "a Chinese fixed-line number with area code 02x (counted without the 0)"),
        Shape(
            "",
            (10, 11),
            "a Chinese fixed-line number with a three-digit area code (counted without the 0)",
        ),
    ),
)

#: The supplements by ISO region; a number uses its own country's supplement.
SUPPLEMENTS: dict[str, Supplement] = {CN.region: CN}
