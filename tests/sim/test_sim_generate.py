"""The simulated city as a whole: determinism, bundle shape, time, and ground-truth consistency."""

from __future__ import annotations

import contextlib
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path

import phonenumbers
import pytest

from ringfence.bundle import TABLES, Bundle
from ringfence.sim import KINDS, SimConfig, SimResult, simulate, write
from ringfence.sim.numbers import EMERGENCY_NUMBERS

Row = dict[str, object]


def _time(row: Row, column: str = "start_time") -> datetime:
    return datetime.fromisoformat(str(row[column]))


def _calls(city: SimResult) -> list[tuple[Row, str]]:
    """Each CDR with its truth kind."""
    truth = city.tables["truth_calls"]
    return [(cdr, str(t["kind"])) for cdr, t in zip(city.tables["cdrs"], truth, strict=True)]


def _of_kind(city: SimResult, *kinds: str) -> list[Row]:
    return [cdr for cdr, kind in _calls(city) if kind in kinds]


def _enterprise_of_trunk(city: SimResult) -> dict[str, str]:
    return {str(t["trunk_id"]): str(t["enterprise_id"]) for t in city.tables["trunks"]}


def test_same_seed_same_tables_and_other_seed_other_calls(city: SimResult) -> None:
    assert simulate(city.config).tables == city.tables
    other = simulate(
        SimConfig(
            subscribers=city.config.subscribers, days=city.config.days, seed=city.config.seed + 1
        )
    )
    assert other.tables["cdrs"] != city.tables["cdrs"]


def test_same_seed_gives_byte_identical_bundle(tmp_path: Path) -> None:
    """Signed Identity headers and the test PKI included: keys, serials and ECDSA nonces all
    derive from the seed."""
    config = SimConfig(subscribers=600, days=1, seed=3)
    write(simulate(config), tmp_path / "a")
    write(simulate(config), tmp_path / "b")
    files = sorted(str(p.relative_to(tmp_path / "a")) for p in (tmp_path / "a").rglob("*.*"))
    tables = [f"{name}.csv" for name in TABLES]
    assert [f for f in files if not f.startswith("pki/")] == sorted(tables)
    assert "pki/sp.pem" in files and "pki/sti-ca.pem" in files
    for name in files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_every_table_has_exactly_the_design_columns(city: SimResult) -> None:
    assert list(city.tables) == list(TABLES)
    for name, rows in city.tables.items():
        expected = [c.name for c in TABLES[name].columns]
        assert rows, f"{name} is empty"
        assert all(list(row) == expected for row in rows), name


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_written_bundle_reads_back_without_rejects(
    city: SimResult, tmp_path: Path, fmt: str
) -> None:
    write(city, tmp_path, fmt)
    bundle = Bundle(tmp_path)
    for name, rows in city.tables.items():
        read = bundle.read(name)
        assert read.table.num_rows == len(rows), name
    assert bundle.rejects() == []


def test_every_kind_appears_and_behavioural_campaigns_are_big_enough(city: SimResult) -> None:
    summary = city.summary()
    assert {kind for kind, n in summary.by_kind.items() if n == 0} == set()
    assert summary.calls == len(city.tables["cdrs"])
    assert 0 < summary.nuisance_share < 1
    campaign = {str(r["number"]): str(r["campaign_id"]) for r in city.tables["truth_numbers"]}
    per_campaign: Counter[tuple[str, str]] = Counter()
    for cdr, kind in _calls(city):
        if KINDS[kind].behavioural and KINDS[kind].nuisance:
            per_campaign[kind, campaign[str(cdr["caller"])]] += 1
    assert {kind for kind, _ in per_campaign} == {
        k for k, info in KINDS.items() if info.behavioural and info.nuisance
    }
    small = {key: n for key, n in per_campaign.items() if n <= 50 * city.config.days}
    assert small == {}


def test_default_city_volume_and_nuisance_share() -> None:
    summary = simulate(SimConfig()).summary()
    assert 60_000 <= summary.calls <= 80_000
    assert 0.10 <= summary.nuisance_share <= 0.15


def test_calls_are_in_time_order_within_the_simulated_days(city: SimResult) -> None:
    start = city.config.local_start
    end = start + timedelta(days=city.config.days)
    times = [_time(cdr) for cdr in city.tables["cdrs"]]
    assert times == sorted(times)
    assert start <= times[0] and times[-1] < end
    assert all(str(cdr["start_time"]).endswith("+08:00") for cdr in city.tables["cdrs"])


def test_talk_only_when_answered_and_durations_are_plausible(city: SimResult) -> None:
    for cdr in city.tables["cdrs"]:
        ring, talk = int(str(cdr["ring_ms"])), int(str(cdr["talk_ms"]))
        assert 0 <= ring <= 60_000
        assert (talk > 0) == (cdr["disposition"] == "answered")


def test_legit_cancelled_calls_mostly_ring_three_seconds(city: SimResult) -> None:
    cancelled = [c for c in _of_kind(city, "social") if c["disposition"] == "cancelled"]
    quick = [c for c in cancelled if int(str(c["ring_ms"])) < 3000]
    assert cancelled and 0 < len(quick) < 0.2 * len(cancelled)


def test_truth_calls_match_cdrs_and_every_caller_has_a_role(city: SimResult) -> None:
    cdrs, truth = city.tables["cdrs"], city.tables["truth_calls"]
    assert [c["call_id"] for c in cdrs] == [t["call_id"] for t in truth]
    assert len({c["call_id"] for c in cdrs}) == len(cdrs)
    assert all(t["nuisance"] == KINDS[str(t["kind"])].nuisance for t in truth)
    numbers = [r["number"] for r in city.tables["truth_numbers"]]
    assert len(numbers) == len(set(numbers))
    assert {c["caller"] for c in cdrs} <= set(numbers)


def test_callees_are_valid_subscribers_except_emergency_and_callbacks(city: SimResult) -> None:
    blocks = [
        (str(b["first"]), str(b["last"]))
        for b in city.tables["number_blocks"]
        if b["holder_type"] == "carrier"
    ]

    def carrier_holds(n: str) -> bool:
        return any(len(n) == len(f) and f <= n <= last for f, last in blocks)

    for cdr, kind in _calls(city):
        callee = str(cdr["callee"])
        if kind == "emergency":
            assert callee in EMERGENCY_NUMBERS
        elif kind != "one_ring_callback":
            assert carrier_holds(callee), (kind, callee)
    subscribers = {str(c["callee"]) for c in _of_kind(city, "social")}
    for number in sorted(subscribers)[:: max(1, len(subscribers) // 500)]:
        parsed = phonenumbers.parse(number)
        assert phonenumbers.is_valid_number(parsed), number
        assert phonenumbers.region_code_for_number(parsed) == "CN"
    for cdr in _of_kind(city, "social", "abroad"):
        if cdr["ingress"] != "subscriber":
            caller = str(cdr["caller"])
            assert not carrier_holds(caller)
            parsed = phonenumbers.parse(caller)
            assert phonenumbers.is_valid_number(parsed), caller
            foreign = phonenumbers.region_code_for_number(parsed) != "CN"
            assert foreign == (cdr["ingress"] == "international"), caller


def _consents(city: SimResult) -> dict[tuple[str, str], datetime]:
    return {
        (str(c["enterprise_id"]), str(c["number"])): _time(c, "granted_at")
        for c in city.tables["consents"]
    }


def _refusals(city: SimResult) -> dict[tuple[str, str], list[datetime]]:
    out: dict[tuple[str, str], list[datetime]] = defaultdict(list)
    for r in city.tables["refusals"]:
        out[str(r["enterprise_id"]), str(r["number"])].append(_time(r, "refused_at"))
    return out


def _refused_before(
    refusals: dict[tuple[str, str], list[datetime]], enterprise: str, callee: str, t: datetime
) -> bool:
    """Whether ``callee`` refused ``enterprise`` (or all marketing) before ``t``."""
    return any(r < t for key in ((enterprise, callee), ("*", callee)) for r in refusals[key])


def test_consented_marketing_has_consent_before_and_no_refusal(city: SimResult) -> None:
    owner, consents, refusals = _enterprise_of_trunk(city), _consents(city), _refusals(city)
    compliant = ("consented_marketing", "out_of_hours_marketing", "over_frequency_marketing")
    for cdr, kind in _calls(city):
        if kind in (*compliant, "refused_marketing"):
            enterprise, callee, t = owner[str(cdr["trunk_id"])], str(cdr["callee"]), _time(cdr)
            assert consents[enterprise, callee] < t
            refused = _refused_before(refusals, enterprise, callee, t)
            assert refused == (kind == "refused_marketing"), (kind, cdr)


def test_refusals_come_after_consent_and_include_blanket_ones(city: SimResult) -> None:
    consents = _consents(city)
    for refusal in city.tables["refusals"]:
        enterprise, number = str(refusal["enterprise_id"]), str(refusal["number"])
        if enterprise != "*":
            assert consents[enterprise, number] < _time(refusal, "refused_at")
    assert any(r["enterprise_id"] == "*" for r in city.tables["refusals"])


def test_marketing_hours_are_kept_or_broken_as_labelled(city: SimResult) -> None:
    from ringfence.sim.marketing import CALLING_HOURS

    owner = _enterprise_of_trunk(city)
    industry = {str(e["enterprise_id"]): str(e["industry"]) for e in city.tables["enterprises"]}
    for cdr, kind in _calls(city):
        if "marketing" not in kind or cdr["ingress"] != "enterprise":
            continue
        open_, close = CALLING_HOURS[industry[owner[str(cdr["trunk_id"])]]]
        local = _time(cdr).astimezone(city.config.local_start.tzinfo)
        inside = open_ <= local.hour + local.minute / 60 + local.second / 3600 < close
        assert inside == (kind != "out_of_hours_marketing"), (kind, cdr)


def test_only_calls_beyond_the_daily_cap_are_over_frequency(city: SimResult) -> None:
    owner = _enterprise_of_trunk(city)
    seen: Counter[tuple[str, str, object]] = Counter()
    for cdr, kind in _calls(city):
        if kind in ("consented_marketing", "over_frequency_marketing"):
            key = (owner[str(cdr["trunk_id"])], str(cdr["callee"]), _time(cdr).date())
            seen[key] += 1
            assert (seen[key] > 1) == (kind == "over_frequency_marketing"), cdr


def test_one_ring_callbacks_answer_an_earlier_one_ring(city: SimResult) -> None:
    rung: dict[tuple[str, str], datetime] = {}
    for cdr in _of_kind(city, "one_ring", "one_ring_slow"):
        assert cdr["disposition"] == "cancelled" and 500 <= int(str(cdr["ring_ms"])) <= 3000
        rung.setdefault((str(cdr["caller"]), str(cdr["callee"])), _time(cdr))
    roles = {str(r["number"]): r["role"] for r in city.tables["truth_numbers"]}
    for cdr in _of_kind(city, "one_ring_callback"):
        assert cdr["ingress"] == "subscriber" and roles[str(cdr["callee"])] == "one_ring"
        assert rung[str(cdr["callee"]), str(cdr["caller"])] < _time(cdr)


def test_signalling_nuisances_break_their_rule(city: SimResult) -> None:
    owner = _enterprise_of_trunk(city)
    held: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for b in city.tables["number_blocks"]:
        held[str(b["holder_id"])].append((str(b["first"]), str(b["last"])))

    def in_blocks(number: str, trunk: str) -> bool:
        return any(f <= number <= last for f, last in held[owner[trunk]] if len(f) == len(number))

    for cdr, kind in _calls(city):
        caller, trunk = str(cdr["caller"]), str(cdr["trunk_id"])
        if cdr["ingress"] == "enterprise":
            assert in_blocks(caller, trunk) == (kind != "cli_spoofing"), (kind, cdr)
        if kind == "fake_plus86":
            assert cdr["ingress"] == "international" and caller.startswith("+86")
        if kind == "invalid_number":
            with contextlib.suppress(phonenumbers.NumberParseException):
                assert not phonenumbers.is_valid_number(phonenumbers.parse(caller, "CN"))


def test_sanctioned_calls_come_from_subjects_sanctioned_at_the_time(city: SimResult) -> None:
    owner = _enterprise_of_trunk(city)
    sanctions = city.tables["sanctions"]
    for cdr in _of_kind(city, "sanctioned"):
        subject = owner[str(cdr["trunk_id"])] if cdr["trunk_id"] else str(cdr["caller"])
        assert any(
            s["subject_id"] == subject and _time(s, "starts_at") <= _time(cdr) < _time(s, "ends_at")
            for s in sanctions
        ), cdr


def test_robocalls_dial_consecutive_subscribers(city: SimResult) -> None:
    by_caller: dict[str, list[str]] = defaultdict(list)
    campaign = {str(r["number"]): str(r["campaign_id"]) for r in city.tables["truth_numbers"]}
    for cdr in _of_kind(city, "robocall"):
        by_caller[campaign[str(cdr["caller"])]].append(str(cdr["callee"]))
    for callees in by_caller.values():
        ascending = sum(a < b for a, b in pairwise(callees))
        assert ascending > 0.9 * len(callees)


def test_report_abuse_targets_stay_legitimate(city: SimResult) -> None:
    per_pair = Counter((str(r["reporter"]), str(r["number"])) for r in city.tables["reports"])
    (_, target), most = per_pair.most_common(1)[0]
    assert most >= 30
    roles = {str(r["number"]): r["role"] for r in city.tables["truth_numbers"]}
    assert roles[target] == "legit"
    assert {kind for cdr, kind in _calls(city) if cdr["caller"] == target} == {"service"}
    reported = {str(r["number"]) for r in city.tables["reports"]}
    assert any(roles.get(n) == "fraud" for n in reported)


def test_progress_is_reported_up_to_done(tmp_path: Path) -> None:
    seen: list[tuple[str, float]] = []
    result = simulate(SimConfig(subscribers=600, days=2, seed=4), lambda s, f: seen.append((s, f)))
    fractions = [f for _, f in seen]
    assert fractions == sorted(fractions) and seen[-1] == ("done", 1.0)
    assert any(stage == "day 2 of 2" for stage, _ in seen)
    with pytest.raises(ValueError, match="'xlsx'"):
        write(result, tmp_path, "xlsx")
