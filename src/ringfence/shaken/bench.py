"""Speed of signing and verification against the raw ECDSA P-256 operations they wrap.

Four figures measured in the same run, on one core: raw ``cryptography`` ECDSA P-256 verify/s
and sign/s over real PASSporT signing inputs, and ringfence's full verification (Identity
header parsing, claims, freshness against the clock, cached certificate with its validity
checked at that time, signature, orig/dest) and full signing (fresh origid, canonical
numbers, JSON, signature, Identity header). The goal is a ratio of at least 0.8 for both:
the protocol work must cost little next to the elliptic-curve maths.

Method, robust on a shared machine:

- Every verification is of a distinct token: each round signs a fresh batch of calls (each
  with its own origid) before its timed part, so nothing a verifier could remember about one
  token helps with the next. The raw baseline verifies exactly what ``cryptography`` is asked
  to verify for those same tokens: the DER signature over the same signing input with the
  same public key object, hashing included.
- A raw batch and the matching full batch are timed back to back, in alternating order from
  round to round, and each round yields one ratio (full rate / raw rate). A noisy neighbour
  slows both batches of a round, so the ratio is steadier than either rate; not quite alike,
  though: interpreted code suffers more from a busy neighbour than the elliptic-curve maths,
  so on a contended machine the ratios come out lower than on an idle one.
- Rates are per second of this process's CPU time; the figures reported are the medians over
  the rounds, each ratio the median of the per-round ratios.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from ringfence.shaken.certs import TrustPolicy
from ringfence.shaken.jws import b64url_decode, raw_to_der
from ringfence.shaken.pki import ShakenPki
from ringfence.shaken.signer import Signer
from ringfence.shaken.verifier import Verifier
from ringfence.shaken.x5u import StaticCertificates

ORIG = "8613800138000"
DEST = "8613900139000"
KEYS = ("raw_verify_per_s", "verify_per_s", "raw_sign_per_s", "sign_per_s")
_ALGORITHM = ec.ECDSA(hashes.SHA256())


def _cpu_seconds(loop: Callable[[], None]) -> float:
    """CPU time of ``loop()``: "per core" is the question, and on a shared machine wall time
    also counts the moments another process held the core."""
    start = time.process_time()
    loop()
    return time.process_time() - start


def _signed_parts(identity: str) -> tuple[bytes, bytes]:
    """The DER signature and signing input of a full-form Identity value: what
    ``cryptography`` verifies for it."""
    token = identity.split(";", 1)[0]
    signing_input, signature = token.rsplit(".", 1)
    return raw_to_der(b64url_decode(signature, "signature")), signing_input.encode()


def _loops(
    verifier: Verifier,
    signer: Signer,
    private_key: ec.EllipticCurvePrivateKey,
    public_key: ec.EllipticCurvePublicKey,
    identities: list[str],
) -> dict[str, Callable[[], None]]:
    """The four timed loops of one round, each over the round's ``len(identities)`` calls."""
    signed = [_signed_parts(identity) for identity in identities]
    inputs = [signing_input for _, signing_input in signed]

    def raw_verify() -> None:
        verify = public_key.verify
        for der, signing_input in signed:
            verify(der, signing_input, _ALGORITHM)

    def full_verify() -> None:
        verify = verifier.verify
        for identity in identities:
            verify(identity, orig=ORIG, dest=DEST)

    def raw_sign() -> None:
        sign = private_key.sign
        for signing_input in inputs:
            sign(signing_input, _ALGORITHM)

    def full_sign() -> None:
        sign, identity = signer.sign, signer.identity
        for _ in inputs:
            identity(sign(ORIG, DEST, "A"))

    return {
        "raw_verify_per_s": raw_verify,
        "verify_per_s": full_verify,
        "raw_sign_per_s": raw_sign,
        "sign_per_s": full_sign,
    }


def run(quick: bool = False) -> dict[str, float]:
    """Measure the four rates and the two ratios (full / raw); ``quick`` for a short run."""
    pki = ShakenPki.create(intermediate=True)
    policy = TrustPolicy([pki.root], crls=[pki.crl])
    verifier = Verifier(StaticCertificates(policy, {pki.x5u: pki.chain_pem()}))
    signer = Signer(pki.sp_key, pki.x5u)
    # The very key object ringfence verifies with: the certified key of the x5u.
    public_key = verifier.certificates.certified_key(pki.x5u, time.time()).public_key
    # The first value of a signer teaches the verifier its header (as in production, once).
    verifier.verify(signer.identity(signer.sign(ORIG, DEST, "A")), orig=ORIG, dest=DEST)

    rounds, calls = (5, 100) if quick else (31, 400)
    rates: dict[str, list[float]] = {name: [] for name in KEYS}
    for i in range(rounds):
        # Signed afresh each round, untimed: distinct tokens, and iat always fresh.
        identities = [signer.identity(signer.sign(ORIG, DEST, "A")) for _ in range(calls)]
        loops = _loops(verifier, signer, pki.sp_key, public_key, identities)
        for raw, full in (KEYS[0:2], KEYS[2:4]):
            for name in (raw, full) if i % 2 == 0 else (full, raw):
                rates[name].append(calls / _cpu_seconds(loops[name]))

    figures = {name: statistics.median(values) for name, values in rates.items()}
    for ratio, raw, full in (
        ("verify_ratio", *KEYS[0:2]),
        ("sign_ratio", *KEYS[2:4]),
    ):
        figures[ratio] = statistics.median(
            f / r for f, r in zip(rates[full], rates[raw], strict=True)
        )
    return figures


def report(figures: dict[str, float]) -> str:
    """The human-readable lines of a bench run."""
    return "\n".join(
        [
            f"raw ECDSA P-256 verify   {figures['raw_verify_per_s']:10,.0f} /s",
            f"ringfence full verify    {figures['verify_per_s']:10,.0f} /s"
            f"   ratio {figures['verify_ratio']:.2f} (goal ≥ 0.80)",
            f"raw ECDSA P-256 sign     {figures['raw_sign_per_s']:10,.0f} /s",
            f"ringfence full sign      {figures['sign_per_s']:10,.0f} /s"
            f"   ratio {figures['sign_ratio']:.2f} (goal ≥ 0.80)",
        ]
    )
