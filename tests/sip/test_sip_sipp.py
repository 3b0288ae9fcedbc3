"""Real calls from sipp through the SIP server: one scenario (kept in ``scenarios/``) per answer.

sipp asserts the response code and the headers (``<ereg check_it="true">``); the test also
reads sipp's message log for the reason codes. Identity headers are signed by ringfence and
by ``secsipidx``. Skipped without sipp/secsipidx, except under ``CI=true``.
"""

from __future__ import annotations

import dataclasses
import math
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ringfence.core.policy import load_policy
from ringfence.core.reasons import Reason
from ringfence.core.registry import (
    Enterprise,
    HolderType,
    NumberBlock,
    Purpose,
    RegistrySnapshot,
    Sanction,
    Trunk,
)
from ringfence.core.screener import Screener
from ringfence.core.types import Action, CallAttempt, CallEnd, Disposition, Ingress
from ringfence.shaken.pki import ShakenPki
from ringfence.shaken.signer import Signer
from ringfence.sip.auth import SipShaken
from ringfence.sip.server import LocalBackend, SipServer, SipSettings

from .conftest import SCENARIOS, Running, require_tool

SUB = "+8613800138000"
FRIEND = "+8613900139000"
ACME = "+8613812340001"  # acme's marketing block
OWN = "+8613000000001"  # in the carrier's own block
FOREIGN = "+442079460958"
BOMBER, VICTIM = "+8617100000002", "+8613800138055"
WANGIRI, ROBOT = "+8617100000003", "+8617100000004"


def registry() -> RegistrySnapshot:
    r = RegistrySnapshot()
    r.add_enterprise(Enterprise("acme", "Acme Loans", "finance"))
    r.add_enterprise(Enterprise("courier", "Fast Courier", "other"))
    r.add_trunk(Trunk("t-acme", "acme", "cm", marketing=True))
    r.add_trunk(Trunk("t-courier", "courier", "cm"))
    r.add_block(
        NumberBlock(
            "+8613812340000", "+8613812340999", HolderType.ENTERPRISE, "acme", Purpose.MARKETING
        )
    )
    r.add_block(
        NumberBlock("+8613000000000", "+8613000000999", HolderType.CARRIER, "cm", Purpose.GENERAL)
    )
    day = time.time() - 86400
    r.add_consent("acme", SUB, day)
    r.add_consent("acme", "+8613800138001", day)
    r.add_refusal("acme", "+8613800138001", day + 3600)
    r.add_sanction(Sanction("number", "+8617012345678", "MPS", "fraud", 0.0, math.inf))
    r.set_reputation("+8617100000000", 0.6)
    r.set_reputation("+8617100000001", 0.95)
    return r


def prime(screener: Screener) -> None:
    """Give the live detectors a bomber, a one-ring caller, a robocaller and a reported number."""
    now = time.time()

    def call(caller: str, callee: str, t: float, ring_ms: int) -> None:
        at = datetime.fromtimestamp(t, UTC)
        screener.screen(CallAttempt("p", caller, callee, at, Ingress.INTERCONNECT))
        end = CallEnd("p", caller, callee, at, ring_ms, 0, Disposition.CANCELLED)
        screener.observe(end)

    for i in range(12):
        screener.screen(
            CallAttempt(
                "b", BOMBER, VICTIM, datetime.fromtimestamp(now - 60 + i, UTC), Ingress.INTERCONNECT
            )
        )
    for i in range(30):
        call(WANGIRI, f"+86138001{i:05d}", now - 600 + 20 * i, 1500)
    for i in range(80):
        call(ROBOT, f"+86139001{i:05d}", now - 1800 + 20 * i, 20_000)
    for i in range(8):
        screener.report(f"r{i}", "+8617122223333", "fraud", datetime.fromtimestamp(now - 60, UTC))


@pytest.fixture(scope="module")
def pki() -> ShakenPki:
    return ShakenPki.create()


@pytest.fixture(scope="module")
def pki_dir(pki: ShakenPki, tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("sip-pki")
    pki.write(directory)
    return directory


def serve(
    run_server: Callable[[SipServer], Running],
    pki_dir: Path,
    clock: Callable[[], float] = time.time,
) -> Running:
    base = load_policy("cn")
    policy = dataclasses.replace(
        base,
        identity_required_on=frozenset({Ingress.INTERNATIONAL}),
        actions={**base.actions, Reason.AUTH_MISSING: Action.BLOCK},
    )
    screener = Screener(policy, registry())
    prime(screener)
    settings = SipSettings(shaken=SipShaken.from_pki_dir(pki_dir))
    return run_server(SipServer(LocalBackend(screener), settings, clock=clock))


@pytest.fixture
def server(run_server: Callable[[SipServer], Running], pki_dir: Path) -> Running:
    return serve(run_server, pki_dir)


def daytime() -> Callable[[], float]:
    """The wall clock moved to 10:00 in Beijing today, inside every marketing calling window
    (at night, marketing calls are blocked OUTSIDE_CALLING_HOURS whatever else holds)."""
    now = datetime.now(UTC) + timedelta(hours=8)  # China Standard Time, no summer time
    offset = (now.replace(hour=10, minute=0, second=0, microsecond=0) - now).total_seconds()
    return lambda: time.time() + offset


def sign(pki: ShakenPki, orig: str, dest: str, *, iat: int | None = None) -> str:
    signer = Signer(pki.sp_key, pki.x5u)
    return signer.identity(signer.sign(orig, dest, "A", iat=iat))


def secsipidx_sign(pki_dir: Path, orig: str, dest: str) -> str:
    tool = require_tool("secsipidx", "secsipidx")
    result = subprocess.run(
        [
            tool,
            "-sign-full",
            "-k",
            "sp.key",
            "-x5u",
            "https://certs.ringfence.test/sp.pem",
            "-o",
            orig.lstrip("+"),
            "-d",
            dest.lstrip("+"),
            "-a",
            "A",
        ],
        cwd=pki_dir,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return result.stdout.strip()


def sipp(
    port: int,
    scenario: str,
    log: Path,
    *,
    caller: str,
    callee: str = SUB,
    ingress: str = "",
    trunk: str = "",
    identity: str = "",
    transport: str = "u1",
) -> str:
    """Run one call of ``scenario``; returns sipp's message log (asserts sipp passed)."""
    tool = require_tool("sipp", "sip-tester")
    keys = {
        "caller": caller,
        "callee": callee,
        "ingress": ingress,
        "trunk": trunk,
        "identity": identity,
    }
    args = [
        tool,
        "-sf",
        str(SCENARIOS / f"{scenario}.xml"),
        "-m",
        "1",
        "-t",
        transport,
        "-i",
        "127.0.0.1",
        "-p",
        "0",
        "-nostdin",
        "-timeout",
        "20",
        "-trace_msg",
        "-message_file",
        str(log),
        "-trace_err",
        "-error_file",
        str(log.with_suffix(".err")),
    ]
    for name, value in keys.items():
        args += ["-key", name, value]
    result = subprocess.run(
        [*args, f"127.0.0.1:{port}"], capture_output=True, text=True, timeout=60, check=False
    )
    messages = log.read_text(errors="replace") if log.exists() else ""
    errors = log.with_suffix(".err")
    detail = errors.read_text(errors="replace") if errors.exists() else result.stdout[-1500:]
    assert result.returncode == 0, f"sipp {scenario} failed:\n{detail}\n{messages[-3000:]}"
    return messages


# (case, scenario, sipp keys, reason expected in the answer's Warning or "")
CASES: list[tuple[str, str, dict[str, str], str]] = [
    ("allowed, no Identity", "redirect_unverified", {"caller": FRIEND}, ""),
    ("labelled: reputation", "redirect_labelled", {"caller": "+8617100000000"}, "REPUTATION"),
    ("own customer signed", "redirect_signed", {"caller": OWN, "ingress": "subscriber"}, ""),
    ("invalid number", "decline_603", {"caller": "+8600123"}, "INVALID_NUMBER"),
    (
        "fake +86 from abroad",
        "decline_603",
        {"caller": FRIEND, "ingress": "international"},
        "SPOOFED_INTL_DOMESTIC_CLI",
    ),
    (
        "rewritten number",
        "decline_603",
        {"caller": FRIEND, "ingress": "enterprise", "trunk": "t-courier"},
        "UNAUTHORIZED_CLI",
    ),
    ("sanctioned number", "decline_603", {"caller": "+8617012345678"}, "SANCTIONED"),
    (
        "no consent",
        "decline_603",
        {"caller": ACME, "callee": "+8613800138009", "ingress": "enterprise", "trunk": "t-acme"},
        "NO_CONSENT",
    ),
    (
        "refused",
        "decline_603",
        {"caller": ACME, "callee": "+8613800138001", "ingress": "enterprise", "trunk": "t-acme"},
        "REFUSED",
    ),
    ("call bombing", "rejected_608", {"caller": BOMBER, "callee": VICTIM}, "CALL_BOMBING"),
    ("one ring", "rejected_608", {"caller": WANGIRI, "callee": "+8613800199999"}, "ONE_RING"),
    (
        "robocall",
        "rejected_608",
        {"caller": ROBOT, "callee": "+8613800199998"},
        "ROBOCALL_PATTERN",
    ),
    ("reported as fraud", "rejected_608", {"caller": "+8617122223333"}, "REPORTED"),
    ("high-risk number", "rejected_608", {"caller": "+8617100000001"}, "REPUTATION"),
    (
        "Identity required",
        "auth_428",
        {"caller": FOREIGN, "ingress": "international"},
        "AUTH_MISSING",
    ),
]


@pytest.mark.parametrize(("case", "scenario", "keys", "reason"), CASES, ids=[c[0] for c in CASES])
def test_call_through_the_server(
    server: Running, tmp_path: Path, case: str, scenario: str, keys: dict[str, str], reason: str
) -> None:
    messages = sipp(server.port, scenario, tmp_path / "messages.log", **keys)
    assert "SIP/2.0 " in messages
    if reason:
        warning = next(line for line in messages.splitlines() if line.startswith("Warning:"))
        assert reason in warning, warning


def test_frequency_cap_blocks_the_second_marketing_call(
    run_server: Callable[[SipServer], Running], pki_dir: Path, tmp_path: Path
) -> None:
    server = serve(run_server, pki_dir, daytime())
    keys = {"caller": ACME, "ingress": "enterprise", "trunk": "t-acme"}
    sipp(server.port, "redirect_unverified", tmp_path / "first.log", **keys)
    messages = sipp(server.port, "decline_603", tmp_path / "second.log", **keys)
    assert "FREQUENCY_CAP" in messages


@pytest.mark.parametrize("transport", ["u1", "t1"])
def test_identity_signed_by_ringfence_passes(
    server: Running, pki: ShakenPki, tmp_path: Path, transport: str
) -> None:
    identity = sign(pki, FRIEND, SUB)
    sipp(
        server.port,
        "redirect_passed",
        tmp_path / "m.log",
        caller=FRIEND,
        identity=identity,
        transport=transport,
    )


def test_identity_signed_by_secsipidx_passes(
    server: Running, pki_dir: Path, tmp_path: Path
) -> None:
    identity = secsipidx_sign(pki_dir, FRIEND, SUB)
    sipp(server.port, "redirect_passed", tmp_path / "m.log", caller=FRIEND, identity=identity)


def _other_dest(pki: ShakenPki, _dir: Path) -> str:
    return sign(pki, FRIEND, "+8613800138099")


def _stale(pki: ShakenPki, _dir: Path) -> str:
    return sign(pki, FRIEND, SUB, iat=int(time.time()) - 600)


def _untrusted(_pki: ShakenPki, pki_dir: Path) -> str:
    """Signed under another root, whose chain the x5u serves (from the PKI directory)."""
    other = ShakenPki.create(x5u="https://certs.ringfence.test/other.pem")
    (pki_dir / "other.pem").write_bytes(other.chain_pem())
    return sign(other, FRIEND, SUB)


def _info_mismatch(pki: ShakenPki, _dir: Path) -> str:
    return sign(pki, FRIEND, SUB).replace("certs.ringfence.test/sp.pem", "elsewhere.test/sp.pem")


def _secsipidx_other_dest(_pki: ShakenPki, pki_dir: Path) -> str:
    return secsipidx_sign(pki_dir, FRIEND, "+8613800138099")


@pytest.mark.parametrize(
    ("make", "scenario"),
    [
        (_other_dest, "auth_438"),
        (_secsipidx_other_dest, "auth_438"),
        (_stale, "auth_403"),
        (_untrusted, "auth_437"),
        (_info_mismatch, "auth_436"),
    ],
    ids=["wrong dest", "secsipidx wrong dest", "stale iat", "untrusted cert", "info mismatch"],
)
def test_failed_identity_gets_the_rfc8224_code(
    server: Running,
    pki: ShakenPki,
    pki_dir: Path,
    tmp_path: Path,
    make: Callable[[ShakenPki, Path], str],
    scenario: str,
) -> None:
    messages = sipp(
        server.port, scenario, tmp_path / "m.log", caller=FRIEND, identity=make(pki, pki_dir)
    )
    assert 'ringfence "AUTH_FAILED"' in messages
