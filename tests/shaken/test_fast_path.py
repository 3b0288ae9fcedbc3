"""The verifier's fast path for known layouts must judge every value as the general path does."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ringfence.shaken import errors
from ringfence.shaken.pki import ShakenPki
from ringfence.shaken.signer import Signer
from ringfence.shaken.verifier import Verifier

ORIG = "15551234567"
DEST = "15557654321"


@pytest.fixture
def learned(
    make_verifier: Callable[..., Verifier], signer: Signer, now: int
) -> Callable[..., Verifier]:
    """A verifier that has already accepted one value of the session signer (knows its layout)."""

    def build(**kwargs: object) -> Verifier:
        verifier = make_verifier(**kwargs)
        verifier.verify(signer.identity(signer.sign(ORIG, DEST, "A", iat=now)), now=now)
        return verifier

    return build


def test_known_layout_takes_the_fast_path(
    learned: Callable[..., Verifier], make_verifier: Callable[..., Verifier], signer: Signer
) -> None:
    identity = signer.identity(signer.sign(ORIG, DEST, "B"))
    assert make_verifier()._fast_decode(identity) is None  # nothing learned yet
    fast = learned()._fast_decode(identity)
    assert fast is not None
    passport, _ = fast
    assert (passport.attest, passport.orig, passport.dest) == ("B", ORIG, (DEST,))


# Characters that matter to the syntax: base64url ones, separators, base64-but-not-url, junk.
_CHARS = st.sampled_from([*"AQgwEB09-_.;=+/ é\t", "", "AA", ".."])


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(position=st.integers(min_value=0, max_value=10_000), text=_CHARS, replace=st.booleans())
def test_fast_and_general_paths_agree_on_altered_values(
    learned: Callable[..., Verifier],
    make_verifier: Callable[..., Verifier],
    signer: Signer,
    now: int,
    position: int,
    text: str,
    replace: bool,
) -> None:
    """A changed character anywhere (token, parameters, edges) gets the same outcome from a
    verifier that knows the layout as from one that must take the general path."""
    identity = signer.identity(signer.sign(ORIG, DEST, "A", iat=now))
    at = position % (len(identity) + 1)
    altered = identity[:at] + text + identity[at + int(replace) :]
    fast = learned().check(altered, orig=ORIG, dest=DEST, now=now)
    general = make_verifier().check(altered, orig=ORIG, dest=DEST, now=now)
    assert fast == general


@pytest.mark.parametrize(
    ("orig", "dest", "kwargs", "error"),
    [
        (ORIG, DEST, {}, None),
        ("+1 555 123 4567", f"tel:+{DEST}", {}, None),
        ("15551234568", DEST, {}, errors.OrigMismatch),
        (ORIG, "15557654320", {}, errors.DestMismatch),
        # A country code makes a number without "+" national: equal strings then differ.
        (ORIG, DEST, {"country_code": "86"}, errors.OrigMismatch),
        (ORIG, DEST, {"accepted_ppts": frozenset({None})}, errors.PptUnsupported),
        (ORIG, DEST, {"max_age": 0.5}, errors.StaleIat),
    ],
)
def test_fast_path_applies_every_per_call_rule(
    learned: Callable[..., Verifier],
    signer: Signer,
    now: int,
    orig: str,
    dest: str,
    kwargs: dict[str, object],
    error: type[errors.ShakenError] | None,
) -> None:
    verifier = learned()
    for name, value in kwargs.items():
        setattr(verifier, name, value)  # changed after the layout was learned
    identity = signer.identity(signer.sign(ORIG, DEST, "A", iat=now - 1))
    outcome = verifier.check(identity, orig=orig, dest=dest, now=now)
    assert outcome.error == (None if error is None else error.code)


def test_fast_path_checks_the_certificate_validity_on_every_call(
    learned: Callable[..., Verifier], signer: Signer, pki: ShakenPki
) -> None:
    verifier = learned()
    after = int(pki.sp_cert.not_valid_after_utc.timestamp()) + 5
    before = int(pki.sp_cert.not_valid_before_utc.timestamp()) - 5
    for at, error in ((after, errors.CertExpired), (before, errors.CertNotYetValid)):
        identity = signer.identity(signer.sign(ORIG, DEST, "A", iat=at))
        assert verifier._fast_decode(identity) is not None
        assert verifier.check(identity, orig=ORIG, dest=DEST, now=at).error == error.code


def test_fast_path_rejects_a_forged_signature(
    learned: Callable[..., Verifier], signer: Signer, now: int
) -> None:
    verifier = learned()
    header, _, signature = signer.sign(ORIG, DEST, "C", iat=now).split(".")
    claims = signer.sign(ORIG, DEST, "A", iat=now).split(".")[1]
    forged = signer.identity(f"{header}.{claims}.{signature}")
    assert verifier._fast_decode(forged) is not None
    with pytest.raises(errors.SignatureInvalid):
        verifier.verify(forged, orig=ORIG, dest=DEST, now=now)


def test_only_strictly_accepted_values_teach_a_layout(
    make_verifier: Callable[..., Verifier], signer: Signer, now: int
) -> None:
    verifier = make_verifier()
    token = signer.sign(ORIG, DEST, "A", iat=now)
    verifier.verify(token, now=now, strict=False)  # a bare token: no parameters to learn
    verifier.verify(f"  {signer.identity(token)} ", now=now)  # padded: not the usual layout
    assert verifier._fast_decode(signer.identity(signer.sign(ORIG, DEST, "A"))) is None
