"""The screener's ordered pipeline: one table of attempts and the verdict each must get."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

import pytest

from ringfence.core.auth import AuthOutcome, AuthStatus
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

CST = timezone(timedelta(hours=8))
NOON = datetime(2019, 3, 1, 12, 0, tzinfo=CST)
SUB = "+8613800138000"  # a subscriber (callee)
FRIEND = "+8613900139000"
ACME_NUMBER = "+8613812340001"  # acme's marketing block
SHOP_NUMBER = "+8613812350001"  # shop's marketing block (sanctioned enterprise)
COURIER = "+8613812360001"  # a courier's service block


def build_registry() -> RegistrySnapshot:
    r = RegistrySnapshot()
    r.add_enterprise(Enterprise("acme", "Acme Loans", "finance"))
    r.add_enterprise(Enterprise("shop", "Shady Shop", "other"))
    r.add_enterprise(Enterprise("courier", "Fast Courier", "other"))
    r.add_trunk(Trunk("t-acme", "acme", "cm", marketing=True))
    r.add_trunk(Trunk("t-shop", "shop", "cm", marketing=True))
    r.add_trunk(Trunk("t-courier", "courier", "cm", marketing=False))
    r.add_block(
        NumberBlock(
            "+8613812340000", "+8613812340999", HolderType.ENTERPRISE, "acme", Purpose.MARKETING
        )
    )
    r.add_block(
        NumberBlock(
            "+8613812350000", "+8613812350999", HolderType.ENTERPRISE, "shop", Purpose.MARKETING
        )
    )
    r.add_block(
        NumberBlock(
            "+8613812360000", "+8613812360999", HolderType.ENTERPRISE, "courier", Purpose.SERVICE
        )
    )
    day = NOON.timestamp()
    r.add_consent("acme", SUB, day - 86400)
    r.add_consent("acme", "+8613800138001", day - 86400)
    r.add_refusal("acme", "+8613800138001", day - 3600)  # refused after consenting
    r.add_consent("acme", "+8613800138002", day - 86400)
    r.add_refusal("*", "+8613800138002", day - 3600)  # refused all marketing
    r.add_sanction(Sanction("enterprise", "shop", "MIIT", "repeated nuisance calls", 0.0, math.inf))
    r.add_sanction(Sanction("number", "+8617012345678", "MPS", "fraud", 0.0, math.inf))
    return r


def attempt(
    caller: str,
    callee: str = SUB,
    ingress: Ingress = Ingress.INTERCONNECT,
    trunk: str = "",
    at: datetime = NOON,
    call_id: str = "c1",
) -> CallAttempt:
    return CallAttempt(call_id, caller, callee, at, ingress, trunk)


@pytest.fixture
def screener() -> Screener:
    return Screener(load_policy("cn"), build_registry())


CASES = [
    ("ordinary call", attempt(FRIEND, ingress=Ingress.SUBSCRIBER), Action.ALLOW, [Reason.ALLOWED]),
    ("call to 110", attempt("+8617012345678", "110"), Action.ALLOW, [Reason.EMERGENCY_EXEMPT]),
    ("120 calls back", attempt("120", SUB), Action.ALLOW, [Reason.EMERGENCY_EXEMPT]),
    (
        "'110' from abroad",
        attempt("110", SUB, Ingress.INTERNATIONAL),
        Action.BLOCK,
        [Reason.SPOOFED_INTL_DOMESTIC_CLI],
    ),
    ("bank 95588", attempt("95588"), Action.ALLOW, [Reason.ALLOWED]),
    ("non-standard", attempt("+8600123"), Action.BLOCK, [Reason.INVALID_NUMBER]),
    (
        "fake +86",
        attempt(FRIEND, ingress=Ingress.INTERNATIONAL),
        Action.BLOCK,
        [Reason.SPOOFED_INTL_DOMESTIC_CLI],
    ),
    (
        "foreign caller",
        attempt("+442079460958", ingress=Ingress.INTERNATIONAL),
        Action.ALLOW,
        [Reason.ALLOWED],
    ),
    (
        "consented marketing",
        attempt(ACME_NUMBER, ingress=Ingress.ENTERPRISE, trunk="t-acme"),
        Action.ALLOW,
        [Reason.ALLOWED],
    ),
    (
        "rewritten number",
        attempt(FRIEND, ingress=Ingress.ENTERPRISE, trunk="t-courier"),
        Action.BLOCK,
        [Reason.UNAUTHORIZED_CLI],
    ),
    (
        "unknown trunk",
        attempt(COURIER, ingress=Ingress.ENTERPRISE, trunk="t-nope"),
        Action.BLOCK,
        [Reason.UNAUTHORIZED_CLI],
    ),
    (
        "courier service call",
        attempt(COURIER, ingress=Ingress.ENTERPRISE, trunk="t-courier"),
        Action.ALLOW,
        [Reason.ALLOWED],
    ),
    (
        "no consent",
        attempt(ACME_NUMBER, "+8613800138009", Ingress.ENTERPRISE, "t-acme"),
        Action.BLOCK,
        [Reason.NO_CONSENT],
    ),
    (
        "refused specific",
        attempt(ACME_NUMBER, "+8613800138001", Ingress.ENTERPRISE, "t-acme"),
        Action.BLOCK,
        [Reason.REFUSED],
    ),
    (
        "refused all",
        attempt(ACME_NUMBER, "+8613800138002", Ingress.ENTERPRISE, "t-acme"),
        Action.BLOCK,
        [Reason.REFUSED],
    ),
    (
        "marketing at 21:30",
        attempt(
            ACME_NUMBER,
            ingress=Ingress.ENTERPRISE,
            trunk="t-acme",
            at=NOON.replace(hour=21, minute=30),
        ),
        Action.BLOCK,
        [Reason.OUTSIDE_CALLING_HOURS],
    ),
    (
        "marketing number via interconnect",
        attempt(ACME_NUMBER, "+8613800138009"),
        Action.BLOCK,
        [Reason.NO_CONSENT],
    ),
    (
        "sanctioned enterprise",
        attempt(SHOP_NUMBER, ingress=Ingress.ENTERPRISE, trunk="t-shop"),
        Action.BLOCK,
        [Reason.SANCTIONED, Reason.NO_CONSENT],
    ),
    ("sanctioned number", attempt("+8617012345678"), Action.BLOCK, [Reason.SANCTIONED]),
]


@pytest.mark.parametrize(("name", "call", "action", "reasons"), CASES, ids=[c[0] for c in CASES])
def test_pipeline(
    screener: Screener, name: str, call: CallAttempt, action: Action, reasons: list[Reason]
) -> None:
    verdict = screener.screen(call)
    assert verdict.action is action, verdict
    assert list(verdict.reasons) == reasons, verdict
    if action is Action.ALLOW:
        assert verdict.label == ""
    else:
        assert " / " in verdict.label  # bilingual


def test_marketing_time_is_callee_local() -> None:
    # 12:30 UTC is 20:30 in Shanghai: outside finance hours (09:00-20:00) though "midday" in UTC.
    call = attempt(
        ACME_NUMBER,
        ingress=Ingress.ENTERPRISE,
        trunk="t-acme",
        at=datetime(2019, 3, 1, 12, 30, tzinfo=UTC),
    )
    verdict = Screener(load_policy("cn"), build_registry()).screen(call)
    assert verdict.reasons == (Reason.OUTSIDE_CALLING_HOURS,)


def test_frequency_cap_counts_calls_put_through(screener: Screener) -> None:
    first = attempt(ACME_NUMBER, ingress=Ingress.ENTERPRISE, trunk="t-acme", call_id="a")
    second = attempt(
        ACME_NUMBER,
        ingress=Ingress.ENTERPRISE,
        trunk="t-acme",
        call_id="b",
        at=NOON + timedelta(hours=2),
    )
    next_day = attempt(
        ACME_NUMBER,
        ingress=Ingress.ENTERPRISE,
        trunk="t-acme",
        call_id="c",
        at=NOON + timedelta(days=1),
    )
    assert screener.screen(first).action is Action.ALLOW
    assert screener.screen(second).reasons == (Reason.FREQUENCY_CAP,)
    assert screener.screen(next_day).action is Action.ALLOW


def test_refusal_takes_effect_for_the_very_next_call(screener: Screener) -> None:
    call = attempt(ACME_NUMBER, ingress=Ingress.ENTERPRISE, trunk="t-acme")
    screener.registry.add_refusal("acme", SUB, NOON.timestamp() - 1)
    assert screener.screen(call).reasons == (Reason.REFUSED,)


def test_renewed_consent_overrides_an_earlier_refusal(screener: Screener) -> None:
    number = "+8613800138001"  # consented, then refused an hour before noon
    screener.registry.add_consent("acme", number, NOON.timestamp() - 60)
    call = attempt(ACME_NUMBER, number, Ingress.ENTERPRISE, "t-acme")
    assert screener.screen(call).action is Action.ALLOW


class FixedAuthenticator:
    def __init__(self, outcome: AuthOutcome) -> None:
        self.outcome = outcome

    def verify(self, attempt: CallAttempt) -> AuthOutcome:
        return self.outcome


@pytest.mark.parametrize(
    ("outcome", "action", "reasons"),
    [
        (AuthOutcome(AuthStatus.PASSED, "A"), Action.ALLOW, (Reason.ALLOWED,)),
        (AuthOutcome(AuthStatus.PASSED, "C"), Action.LABEL, (Reason.AUTH_MISSING,)),
        (
            AuthOutcome(AuthStatus.FAILED, error="BAD_SIGNATURE"),
            Action.BLOCK,
            (Reason.AUTH_FAILED,),
        ),
        (AuthOutcome(AuthStatus.MISSING), Action.ALLOW, (Reason.ALLOWED,)),  # cn: not required
    ],
)
def test_authentication(outcome: AuthOutcome, action: Action, reasons: tuple[Reason, ...]) -> None:
    screener = Screener(
        load_policy("cn"), build_registry(), authenticator=FixedAuthenticator(outcome)
    )
    verdict = screener.screen(attempt(FRIEND))
    assert (verdict.action, verdict.reasons) == (action, reasons)


def test_missing_identity_where_required_us_pack() -> None:
    screener = Screener(load_policy("us"), RegistrySnapshot())
    verdict = screener.screen(attempt("+12025550123", "+12025550188"))
    assert verdict.reasons == (Reason.AUTH_MISSING,)
    assert verdict.action is Action.LABEL


def test_one_ring_number_is_blocked_on_its_next_call(screener: Screener) -> None:
    wangiri = "+8617099990001"
    t = NOON
    for i in range(30):
        callee = f"+86138001{i:05d}"
        t += timedelta(seconds=20)
        screener.screen(attempt(wangiri, callee, at=t, call_id=f"w{i}"))
        screener.observe(
            CallEnd(
                f"w{i}", wangiri, callee, t, 1500, 0, Disposition.CANCELLED, Ingress.INTERCONNECT
            )
        )
    verdict = screener.screen(attempt(wangiri, "+8613800199999", at=t + timedelta(seconds=20)))
    assert verdict.action is Action.BLOCK
    assert Reason.ONE_RING in verdict.reasons
    # a victim calling the number back is warned, not blocked
    back = screener.screen(
        attempt("+8613800100003", wangiri, Ingress.SUBSCRIBER, at=t + timedelta(minutes=5))
    )
    assert back.action is Action.LABEL
    assert back.reasons == (Reason.ONE_RING,)


def test_reports_label_then_fraud_blocks(screener: Screener) -> None:
    number = "+8617122223333"
    for i in range(3):
        screener.report(f"r{i}", number, "marketing", NOON - timedelta(minutes=10 - i))
    labelled = screener.screen(attempt(number))
    assert (labelled.action, labelled.reasons) == (Action.LABEL, (Reason.REPORTED,))
    assert "marketing" in labelled.label
    for i in range(3, 9):
        screener.report(f"r{i}", number, "fraud", NOON - timedelta(minutes=5))
    assert screener.screen(attempt(number)).action is Action.BLOCK


def test_one_reporter_counts_once(screener: Screener) -> None:
    number = "+8617122224444"
    for _ in range(50):
        screener.report("grudge", number, "fraud", NOON - timedelta(minutes=1))
    assert screener.screen(attempt(number)).action is Action.ALLOW
