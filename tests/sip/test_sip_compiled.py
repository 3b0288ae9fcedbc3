"""The mypyc-compiled SIP server (``make compiled`` compiles ringfence.sip, with the core and
STIR/SHAKEN) answers exactly as the pure-Python one: a corpus of INVITEs (verified, forged,
stale, unsigned, blocked, labelled, from every ingress), other methods and mutated messages,
handled in batches by both builds, gets the same responses byte for byte. (Signing is left
out: every token it makes is new.)

The build takes about a minute and a half; without a C compiler the test is skipped, except
under CI=true, where it fails.
"""

from __future__ import annotations

import os
import pickle
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ringfence.shaken.pki import ShakenPki
from ringfence.shaken.signer import Signer

#: Answers the corpus (a pickled list of batches) with a server on a fixed clock, prints the
#: modules it ran and writes the responses, this process's tag prefix replaced by a fixed one.
ANSWER = """
import pickle, re, sys
from pathlib import Path
import ringfence.sip.message, ringfence.sip.server
from ringfence.core.policy import load_policy
from ringfence.core.registry import HolderType, NumberBlock, Purpose, RegistrySnapshot, Sanction
from ringfence.core.screener import Screener
from ringfence.shaken.screening import ShakenAuthenticator
from ringfence.sip.auth import SipShaken
from ringfence.sip.server import LocalBackend, SipServer, SipSettings

work = Path(sys.argv[1])
now, batches = pickle.loads((work / "corpus.pkl").read_bytes())
registry = RegistrySnapshot()
registry.add_block(
    NumberBlock("+8613000000000", "+8613000000999", HolderType.CARRIER, "cm", Purpose.GENERAL)
)
registry.add_sanction(Sanction("number", "+8617012345678", "MPS", "fraud", 0.0, float("inf")))
registry.set_reputation("+8617100000001", 0.95)
shaken = SipShaken(ShakenAuthenticator.from_pki_dir(work / "pki"))
server = SipServer(
    LocalBackend(Screener(load_policy("cn"), registry)),
    SipSettings(shaken=shaken),
    clock=lambda: now,
)
tag = re.escape(server._tag_prefix.encode())
answers = [
    [None if r is None else re.sub(tag, b"rf", r) for r in server.handle_batch(batch)]
    for batch in batches
]
(work / f"answers-{sys.argv[2]}.pkl").write_bytes(pickle.dumps(answers))
print(ringfence.sip.message.__file__)
print(ringfence.sip.server.__file__)
"""
SOURCE = ("192.0.2.7", 5060)


def _invite(call: int, caller: str, callee: str, extra: str = "", method: str = "INVITE") -> str:
    return (
        f"{method} sip:{callee}@10.0.0.1;user=phone SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bK{call};rport\r\n"
        f'From: "Caller {call}" <sip:{caller}@192.0.2.7;user=phone>;tag=f{call}\r\n'
        f"To: <sip:{callee}@10.0.0.1>\r\nCall-ID: c{call}@192.0.2.7\r\nCSeq: 7 {method}\r\n"
        f"Max-Forwards: 70\r\n{extra}Content-Length: 0\r\n\r\n"
    )


def corpus(pki: ShakenPki, now: int) -> list[list[tuple[bytes, tuple[str, int]]]]:
    """Batches of messages of every kind the server answers differently, and mutations."""
    signer = Signer(pki.sp_key, pki.x5u)
    rng = random.Random(8)
    callers = ["+8613900139000", "+8613000000001", "+8617012345678", "+8617100000001", "12"]
    ingresses = ["", "subscriber", "enterprise", "international", "mars"]
    texts: list[str] = []
    for call in range(150):
        caller, callee = rng.choice(callers), f"+86138{rng.randrange(10**8):08d}"
        extra = ""
        ingress = rng.choice(ingresses)
        if ingress:
            extra += f"P-Ringfence-Ingress: {ingress}\r\nX-Trunk: t{call % 3}\r\n"
        kind = rng.randrange(4)
        if kind:  # signed, for this call or (kind 3) another callee
            dest = callee if kind < 3 else "+8613800000000"
            token = signer.sign(caller, dest, rng.choice("ABC"), iat=now - rng.randrange(90))
            extra += f"Identity: {signer.identity(token)}\r\n"
        texts.append(_invite(call, caller, callee, extra))
        if rng.random() < 0.2:  # a retransmission, a CANCEL or an ACK of it
            method = rng.choice(["INVITE", "CANCEL", "ACK"])
            texts.append(_invite(call, caller, callee, extra if method == "INVITE" else "", method))
    for call, method in enumerate(["OPTIONS", "REGISTER", "BYE", "CANCEL"], start=1000):
        texts.append(_invite(call, "+8613900139000", "+8613800138000", method=method))
    messages = [t.encode() for t in texts]
    for _ in range(150):  # mutations: cut, doubled or replaced bytes, anywhere
        data = bytearray(rng.choice(messages))
        at = rng.randrange(len(data))
        choice = rng.randrange(3)
        if choice == 0:
            del data[at:]
        elif choice == 1:
            data[at:at] = data[at : at + rng.randrange(1, 20)]
        else:
            data[at] = rng.choice(b"\r\n\x00:;<> ,.=+A\xff")
        messages.append(bytes(data))
    rng.shuffle(messages)
    sizes = [1, 2, 5, 16]
    batches, i = [], 0
    while i < len(messages):
        size = rng.choice(sizes)
        batches.append([(m, SOURCE) for m in messages[i : i + size]])
        i += size
    return batches


@pytest.mark.slow
def test_compiled_sip_server_gives_the_same_answers(tmp_path: Path, compiled_build: Path) -> None:
    target = compiled_build
    pki = ShakenPki.create()
    pki.write(tmp_path / "pki")
    now = int(time.time())
    (tmp_path / "corpus.pkl").write_bytes(pickle.dumps((float(now), corpus(pki, now))))
    for name, path in (("pure", ""), ("compiled", str(target))):
        run = subprocess.run(
            [sys.executable, "-c", ANSWER, str(tmp_path), name],
            env={**os.environ, "PYTHONPATH": path},
            capture_output=True,
            text=True,
        )
        assert run.returncode == 0, run.stderr
        loaded = [Path(line) for line in run.stdout.split()]
        compiled = [p.is_relative_to(target) and p.suffix == ".so" for p in loaded]
        assert compiled == [name == "compiled"] * 2, loaded
    pure = pickle.loads((tmp_path / "answers-pure.pkl").read_bytes())
    answers = [r for batch in pure for r in batch]
    statuses = {int(r.split(b" ", 2)[1]) for r in answers if r is not None}
    assert {200, 302, 400, 403, 405, 428, 438, 481, 603, 608} <= statuses  # every kind compared
    assert pickle.loads((tmp_path / "answers-compiled.pkl").read_bytes()) == pure
