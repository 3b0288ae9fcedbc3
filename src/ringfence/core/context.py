"""What the checks know about one attempt, worked out once before they run."""

from __future__ import annotations

from dataclasses import dataclass

from ringfence.core.numberplan import NumberInfo
from ringfence.core.registry import Enterprise, NumberBlock, Trunk
from ringfence.core.types import CallAttempt


@dataclass(slots=True)
class CallContext:
    """An attempt with its numbers classified and its registry facts looked up."""

    attempt: CallAttempt
    t: float  # epoch seconds
    caller: NumberInfo
    callee: NumberInfo
    trunk: Trunk | None
    #: The enterprise responsible for the call: the trunk's, else the holder of the caller's block.
    enterprise: Enterprise | None
    caller_block: NumberBlock | None
    #: A marketing call: from a marketing trunk, or presenting a marketing-purpose number.
    marketing: bool
