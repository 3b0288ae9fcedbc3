"""The verifier's shortcut for numbers in plain forms (a signed digit string against ``+`` and the
same digits, or the same string) never accepts a pair that the canonical comparison refuses."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ringfence.shaken import errors
from ringfence.shaken.signer import Signer
from ringfence.shaken.verifier import Verifier

_SIGNED = st.from_regex(r"[0-9]{1,15}", fullmatch=True)


@st.composite
def _pairs(draw: st.DrawFn) -> tuple[str, str]:
    """A signed number and a signalled one: the same in various forms, or a near miss."""
    signed = draw(_SIGNED)
    other = draw(_SIGNED)
    signalled = draw(
        st.sampled_from(
            [
                f"+{signed}",
                signed,
                f"+{other}",
                other,
                f"0{signed[2:]}",
                f"+{signed[:-1]}",
                f"{signed}+",
                f"-{signed}",
                f"+{signed[1:]}x",
                f"9{signed}",
            ]
        )
    )
    return signed, signalled


@settings(max_examples=500)
@given(pair=_pairs(), country=st.sampled_from([("", ""), ("86", "0"), ("1", "1")]))
def test_the_plain_shortcut_agrees_with_canonical_numbers(
    make_verifier: Callable[..., Verifier], pair: tuple[str, str], country: tuple[str, str]
) -> None:
    signed, signalled = pair
    verifier = make_verifier(country_code=country[0], trunk_prefix=country[1])
    if verifier._plainly_same(signed, signalled):
        assert verifier._same(signed, signalled)


@pytest.mark.parametrize("country_code", ["", "86"])
def test_global_numbers_signalled_with_plus_pass_and_others_fail(
    make_verifier: Callable[..., Verifier], signer: Signer, now: int, country_code: str
) -> None:
    verifier = make_verifier(country_code=country_code, trunk_prefix="0" if country_code else "")
    orig, dest = "8613900139000", "8613800138000"
    for _ in range(2):  # the second value takes the fast path (the layout is known)
        identity = signer.identity(signer.sign(orig, dest, "A", iat=now))
        verifier.verify(identity, orig=f"+{orig}", dest=f"+{dest}", now=now)
    identity = signer.identity(signer.sign(orig, dest, "A", iat=now))
    with pytest.raises(errors.OrigMismatch):
        verifier.verify(identity, orig=f"+{orig[:-1]}1", dest=f"+{dest}", now=now)
    with pytest.raises(errors.DestMismatch):
        verifier.verify(identity, orig=f"+{orig}", dest=f"+1{dest[1:]}", now=now)
