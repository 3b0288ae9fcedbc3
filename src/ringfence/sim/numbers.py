"""The numbering of the simulated city, Hangzhou (+86 571), and a source of unique numbers.

The carrier (``ZJ-MOBILE``) holds blocks of 10,000 mobile numbers (+86 138/139/150/187… 571x
xxxx) and of fixed lines (+86 571 88xx xxxx); its subscribers are drawn from those blocks,
densely enough that a robocaller dialling "the next number" mostly hits real subscribers.
Everyone else — other domestic carriers, virtual operators, people abroad, enterprises — gets
numbers from ``NumberPlan``, which never hands out the same number twice, so each number has
exactly one role in the ground truth.

The templates were chosen so that libphonenumber accepts every number they produce (the tests
check it); the simulator itself does not depend on libphonenumber.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

CARRIER_ID = "ZJ-MOBILE"
CARRIER_HOLDER = f"carrier:{CARRIER_ID}"
BLOCK_SIZE = 10_000

#: China Mobile prefixes whose 571x sub-ranges are the carrier's Hangzhou mobile blocks.
CARRIER_MOBILE_PREFIXES = ("138", "139", "150", "187", "135", "158", "182")
#: China Unicom and China Telecom mobile prefixes: subscribers of other domestic carriers.
OTHER_CARRIER_PREFIXES = ("130", "131", "132", "155", "156", "186", "133", "153", "180", "189")
#: Mobile virtual network operators, favoured by fraudsters and one-ring gangs.
VIRTUAL_PREFIXES = ("170", "171")
#: Foreign mobile templates: (E.164 prefix, number of random digits that follow).
FOREIGN_TEMPLATES: tuple[tuple[str, int], ...] = (
    ("+141523", 5),  # US, San Francisco
    ("+121247", 5),  # US, New York
    ("+141636", 5),  # Canada, Toronto
    ("+4474", 8),  # UK mobile
    ("+81901", 7),  # Japan mobile
    ("+852510", 5),  # Hong Kong mobile
    ("+6141", 7),  # Australia mobile
    ("+6591", 6),  # Singapore mobile
    ("+49151", 8),  # Germany mobile
)
#: Foreign mobile ranges rented by international one-ring (wangiri) gangs: (prefix, digits).
WANGIRI_RANGES: tuple[tuple[str, int], ...] = (("+21650", 11), ("+67570", 11))
EMERGENCY_NUMBERS = ("110", "119", "120")
BANK_NUMBERS = ("95588", "95555", "95533", "95599", "95566")
#: Non-standard numbers seen in the wild (the plan's 不规范号码).
INVALID_NUMBER_EXAMPLES = ("+8600123", "12345678901234", "0000", "+86 1381234", "abc123")


@dataclass(frozen=True, slots=True)
class Block:
    """A contiguous range of numbers ``first``..``last`` (E.164 strings of the same length)."""

    first: str
    last: str

    def __contains__(self, number: object) -> bool:
        return (
            isinstance(number, str)
            and len(number) == len(self.first)
            and self.first <= number <= self.last
        )


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choices("0123456789", k=n))


class NumberPlan:
    """Hands out numbers for everyone in the city; no number is handed out twice."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._used: set[str] = set()
        self._prefixes_used: set[str] = set()

    def claim(self, number: str) -> str:
        """Reserve ``number``; raises ValueError if it was already given to someone."""
        if number in self._used:
            raise ValueError(f"number {number!r} is already in use in the simulated city")
        self._used.add(number)
        return number

    def subscribers(
        self, mobiles: int, fixed: int, rng: np.random.Generator
    ) -> tuple[list[str], list[Block]]:
        """Draw the carrier's subscriber numbers (in random order) and the blocks they come from.

        Blocks are filled to about 70 %: dense enough for sequential scanning to hit subscribers.
        """
        mobile_stems = [f"{p}571{d}" for p in CARRIER_MOBILE_PREFIXES for d in range(10)]
        fixed_stems = [f"57188{d:02d}" for d in range(100)]
        numbers: list[str] = []
        blocks: list[Block] = []
        for count, stems in ((mobiles, mobile_stems), (fixed, fixed_stems)):
            if count == 0:
                continue
            n_blocks = -(-count * 10 // (7 * BLOCK_SIZE))
            if n_blocks > len(stems):
                raise ValueError(
                    f"{count} subscribers need {n_blocks} blocks of {BLOCK_SIZE}; "
                    f"the simulated carrier has only {len(stems)}"
                )
            chosen = [stems[i] for i in sorted(rng.choice(len(stems), n_blocks, replace=False))]
            blocks += [Block(f"+86{s}0000", f"+86{s}9999") for s in chosen]
            picks = rng.choice(n_blocks * BLOCK_SIZE, count, replace=False)
            numbers += [f"+86{chosen[p // BLOCK_SIZE]}{p % BLOCK_SIZE:04d}" for p in picks.tolist()]
        self._used.update(numbers)
        order = rng.permutation(len(numbers))
        return [numbers[i] for i in order.tolist()], blocks

    def _unique(self, make: Callable[[], str]) -> str:
        for _ in range(1000):
            number = make()
            if number not in self._used:
                self._used.add(number)
                return number
        raise RuntimeError("number space exhausted in the simulated city")

    def domestic_mobile(self, prefixes: tuple[str, ...] = OTHER_CARRIER_PREFIXES) -> str:
        """A valid Chinese mobile outside the carrier's blocks (another carrier's subscriber)."""
        return self._unique(lambda: f"+86{self._rng.choice(prefixes)}{_digits(self._rng, 8)}")

    def foreign_mobile(self) -> str:
        """A valid foreign mobile number (US, UK, Japan, Hong Kong, …)."""

        def make() -> str:
            prefix, n = self._rng.choice(FOREIGN_TEMPLATES)
            return prefix + _digits(self._rng, n)

        return self._unique(make)

    def domestic_fixed(self, area: str = "10") -> str:
        """A valid Chinese fixed line in ``area`` (Beijing by default) — not a Hangzhou line."""
        return self._unique(lambda: f"+86{area}{self._rng.randint(2, 6)}{_digits(self._rng, 7)}")

    def enterprise_block(self, size: int = 100) -> Block:
        """A block of ``size`` (10, 100 or 1000) Hangzhou business lines, +86 571 2xxx/5xxx/6xxx."""
        if size not in (10, 100, 1000):
            raise ValueError(f"enterprise block size {size}: must be 10, 100 or 1000")
        width = len(str(size - 1))
        stem = self._fresh_stem(
            lambda: f"+86571{self._rng.choice('256')}{_digits(self._rng, 7 - width)}"
        )
        return Block(stem + "0" * width, stem + "9" * width)

    def numbered_range(self, prefix: str, count: int, digits: int = 13) -> list[str]:
        """``count`` (≤ 9000) consecutive numbers ``<prefix><random digits>1000…`` (a rented range).

        ``prefix`` is an E.164 head such as ``+86170``; ``digits`` the length after the ``+``.
        """
        free = digits - (len(prefix) - 1) - 4
        stem = self._fresh_stem(lambda: prefix + _digits(self._rng, free))
        return [self.claim(f"{stem}{1000 + i}") for i in range(count)]

    def _fresh_stem(self, make: Callable[[], str]) -> str:
        for _ in range(1000):
            stem = make()
            if stem not in self._prefixes_used:
                self._prefixes_used.add(stem)
                return stem
        raise RuntimeError("number ranges exhausted in the simulated city")

    def invalid_numbers(self, count: int) -> list[str]:
        """``count`` distinct non-standard numbers: the classic examples, then variants of them."""
        makers = (
            lambda: "+8600" + _digits(self._rng, self._rng.randint(2, 5)),
            lambda: _digits(self._rng, 14),
            lambda: "0" * self._rng.randint(3, 6),
            lambda: "+86 138" + _digits(self._rng, 4),
            lambda: "".join(self._rng.choices("abcdefxyz", k=3)) + _digits(self._rng, 3),
        )
        out = [self.claim(n) for n in INVALID_NUMBER_EXAMPLES[:count] if n not in self._used]
        while len(out) < count:
            out.append(self._unique(makers[len(out) % len(makers)]))
        return out
