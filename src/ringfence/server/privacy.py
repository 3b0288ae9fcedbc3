"""Personal data in logs: telephone numbers are masked (``138****5678``) before they are written."""

from __future__ import annotations

import logging
import re

# A run of 7 or more digits (optionally after '+' and a country code) is a telephone number.
_NUMBER = re.compile(r"(?<!\d)(\+?\d{3})(\d{0,8}?)(\d{4})(?!\d)")
_MIN_DIGITS = 7


def _mask(match: re.Match[str]) -> str:
    head, middle, tail = match.groups()
    if len(head.lstrip("+")) + len(middle) + len(tail) < _MIN_DIGITS:
        return match.group(0)
    return f"{head}{'*' * max(len(middle), 4)}{tail}"


def mask_numbers(text: str) -> str:
    """``text`` with every telephone number masked: the first three and last four digits stay
    (``13812345678`` → ``138****5678``, ``%2B8613812345678`` keeps its shape)."""
    return _NUMBER.sub(_mask, text)


class MaskNumbers(logging.Filter):
    """A logging filter that masks numbers in the message and its arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_numbers(str(record.msg))
        if isinstance(record.args, tuple):
            record.args = tuple(mask_numbers(a) if isinstance(a, str) else a for a in record.args)
        return True
