"""STIR/SHAKEN on the simulated interconnect: the bundle's test PKI and its Identity headers.

One of the two domestic carriers the city's carrier interconnects with has deployed SHAKEN;
the other has not yet (partial deployment, as on real networks). The deployed peer signs every
call it hands over as an STI-AS would, with the SP certificate of a test PKI written to
``BUNDLE/pki``: attestation A for its own subscribers' numbers, B for the virtual operators it
hosts (it knows the customer, not the number). Calls of the other peer, and numbers of no
range at all (``invalid_number``), arrive unsigned. Nuisance callers are signed like anyone
else — a carrier attests the number, not the caller's manners — so the presence of an
Identity header gives nothing of the ground truth away.

A share of the fraud rings' calls present a forged Identity instead, and their truth kind
becomes ``auth_failed``: a PASSporT lifted from a call of another number, one whose signature
was altered, or one replayed long after it was signed (stale ``iat``).

Reproducible like the rest of the simulator: keys and serials derive from the run's seed,
signatures use RFC 6979 nonces and origids come from a seeded stream, so the same config gives
byte-identical bundles. Only the deployed peer's calls are signed, a few thousand a day in a
city of 20,000 subscribers. Replay verifies these headers with
``ShakenAuthenticator.from_bundle(BUNDLE)`` (that is, ``BUNDLE/pki``) at each call's start
time; the certificates are valid over the simulated period.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Final

from ringfence.core.types import Ingress
from ringfence.shaken.pki import BUNDLE_PKI_DIR, ShakenPki
from ringfence.shaken.signer import Signer
from ringfence.sim.calls import HOUR
from ringfence.sim.config import SimConfig
from ringfence.sim.numbers import VIRTUAL_PREFIXES
from ringfence.sim.world import World

#: Where :func:`ringfence.sim.write` puts the test PKI inside a bundle.
PKI_DIR: Final = BUNDLE_PKI_DIR
#: Share of fraud-ring calls that present a forged Identity (truth kind ``auth_failed``).
FORGED_SHARE: Final = 0.25
FORGED_KIND: Final = "auth_failed"
_FORGED_FROM: Final = "fraud"
#: The deployed peer's mobile ranges (China Telecom's, among ``OTHER_CARRIER_PREFIXES``).
SIGNING_PEER_PREFIXES: Final = ("133", "153", "180", "189")
_PEER_RANGES: Final = tuple("+86" + prefix for prefix in SIGNING_PEER_PREFIXES)
_VIRTUAL_RANGES: Final = tuple("+86" + prefix for prefix in VIRTUAL_PREFIXES)
#: Days the SP certificate outlives the simulated period (and starts before it).
_VALIDITY_MARGIN_DAYS: Final = 30
_B64URL: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def bundle_pki(config: SimConfig) -> ShakenPki:
    """The run's test PKI: the same seed gives the same keys and certificate bytes.

    Certificates are valid from a day before the simulated period until a month after it, so
    that verifying at the simulated call times (2019 by default) succeeds.
    """
    return ShakenPki.create(
        not_before=config.start - timedelta(days=1),
        days=config.days + _VALIDITY_MARGIN_DAYS,
        seed=f"ringfence-sim/{config.seed}".encode(),
    )


def attestation_for(number: str) -> str | None:
    """The deployed peer's attestation for a calling number, or None when it does not sign
    the call: A for its subscribers, B for the virtual operators it hosts."""
    if number.startswith(_PEER_RANGES):
        return "A"
    if number.startswith(_VIRTUAL_RANGES):
        return "B"
    return None


class _Forger:
    """The three ways a fraudster's Identity header fails, chosen at random per call."""

    def __init__(self, signer: Signer, rng: random.Random, decoys: list[str]) -> None:
        self.signer = signer
        self.rng = rng
        self.decoys = decoys  # numbers whose genuine PASSporTs the fraudster replays
        self.tricks: tuple[Callable[[str, str, int, str], str], ...] = (
            self._other_orig,
            self._tampered,
            self._stale,
        )

    def __call__(self, caller: str, callee: str, iat: int, origid: str) -> str:
        return self.rng.choice(self.tricks)(caller, callee, iat, origid)

    def _other_orig(self, caller: str, callee: str, iat: int, origid: str) -> str:
        decoy = self.rng.choice(self.decoys)
        return self.signer.sign(decoy, callee, "A", origid=origid, iat=iat)

    def _tampered(self, caller: str, callee: str, iat: int, origid: str) -> str:
        token = self.signer.sign(caller, callee, "A", origid=origid, iat=iat)
        cut = token.rindex(".") + 1
        # The first signature character carries six bits of r: changing it breaks the
        # signature while the token stays well-formed base64url.
        swapped = _B64URL[(_B64URL.index(token[cut]) + 1 + self.rng.randrange(63)) % 64]
        return f"{token[:cut]}{swapped}{token[cut + 1 :]}"

    def _stale(self, caller: str, callee: str, iat: int, origid: str) -> str:
        replayed_at = iat - self.rng.randint(5 * 60, 6 * HOUR)
        return self.signer.sign(caller, callee, "A", origid=origid, iat=replayed_at)


def sign_interconnect(world: World, pki: ShakenPki) -> list[str]:
    """The ``identity`` column for the (sorted) call log; forged calls become ``auth_failed``.

    Only the deployed peer's interconnect calls are signed, one signature each.
    """
    log = world.log
    rng = world.rng("identity")
    signer = Signer(pki.sp_key, pki.x5u, deterministic=True)
    forge = _Forger(signer, rng, world.people.numbers)
    epoch = world.clock.epoch
    identity = [""] * len(log)
    for i, ingress in enumerate(log.ingress):
        if ingress is not Ingress.INTERCONNECT:
            continue
        caller = log.caller[i]
        attest = attestation_for(caller)
        if attest is None:
            continue
        # Signed numbers are E.164 with "+": without it they are already canonical (RFC 8224
        # §8.3), which spares the signer parsing them.
        orig, dest, iat = caller[1:], log.callee[i].lstrip("+"), epoch(log.t[i])
        origid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        if log.kind[i] == _FORGED_FROM and rng.random() < FORGED_SHARE:
            token = forge(orig, dest, iat, origid)
            log.kind[i] = FORGED_KIND
        else:
            token = signer.sign(orig, dest, attest, origid=origid, iat=iat)
        identity[i] = signer.identity(token)
    return identity
