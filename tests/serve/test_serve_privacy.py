"""Numbers in logs are masked: 138****5678."""

from __future__ import annotations

import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ringfence.server.privacy import MaskNumbers, mask_numbers


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("13812345678", "138****5678"),
        ("GET /v1/numbers/+8613812345678 HTTP/1.1", "GET /v1/numbers/+861******5678 HTTP/1.1"),
        ("refusal of 13812345678 and 13912345678", "refusal of 138****5678 and 139****5678"),
        ("port 8080, seq 123456", "port 8080, seq 123456"),
        ("no numbers here", "no numbers here"),
    ],
)
def test_mask_numbers(text: str, masked: str) -> None:
    assert mask_numbers(text) == masked


@given(
    st.text(alphabet=st.characters(blacklist_categories=["Nd"]), max_size=20),
    st.from_regex(r"\A\+?[0-9]{7,15}\Z"),
    st.text(alphabet=st.characters(blacklist_categories=["Nd"]), max_size=20),
)
def test_no_number_survives_and_the_rest_is_kept(before: str, number: str, after: str) -> None:
    masked = mask_numbers(before + number + after)
    digits = number.lstrip("+")
    assert digits not in masked
    assert masked.startswith(before) and masked.endswith(after)
    assert masked.count("*") >= 4


def test_the_log_filter_masks_messages_and_arguments(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("ringfence.test.privacy")
    logger.addFilter(MaskNumbers())
    with caplog.at_level(logging.INFO, logger=logger.name):
        logger.info("refusal from %s via 13912345678", "13812345678")
    assert caplog.messages == ["refusal from 138****5678 via 139****5678"]
