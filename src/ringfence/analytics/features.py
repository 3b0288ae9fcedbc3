"""Per calling number features, as one Ibis expression that runs on any engine.

:func:`number_features` turns the prepared calls (``ingest.prepare_calls``) and the registry
tables into one row per calling number. Every feature is an integer count or a ratio of two,
so DuckDB and Spark compute the same values (only ``talk_std_s`` is a floating-point
aggregate, rounded in :func:`collect`). The thresholds that make a call "short" or a step
"sequential" are the online detectors' own (:mod:`ringfence.core.detectors.params`), so the
screener and the analytics mean the same thing by a one-ring call.

Groups of features (all per calling number):

- volume: calls, distinct callees, peak calls in any sliding hour and day, active hours;
- outcome: answer rate, mean ring, mean and spread of talk, short talks, short cancelled rings;
- timing: night share (22:00-07:00 local);
- targets: most calls to one callee, sequential-dialling share, targets under attack
  (a callee flooded by attempts from many numbers);
- rotation: calls, numbers and short-ring share of the number's range (all but the last
  :data:`RANGE_DROP_DIGITS` digits) on the same ingress;
- reciprocity: callees who called back, numbers that called it at all;
- ingress: international and enterprise-trunk shares;
- registry: holder and purpose of its block, unauthorized presentation (a trunk presenting a
  number outside its enterprise's blocks), marketing calls without consent and after a
  refusal, sanctions in force, crowd reports.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import ibis
import ibis.expr.types as ir
import pandas as pd
from ibis.backends import BaseBackend

from ringfence.core.detectors.params import BombingParams, OneRingParams, RobocallParams

SHORT_RING_MS = OneRingParams().max_ring_ms
SEQUENTIAL_MAX_STEP = RobocallParams().max_step
CONVERSATION_MS = BombingParams().conversation_ms
SHORT_TALK_MS = int(RobocallParams().max_mean_talk_s * 1000)
RANGE_DROP_DIGITS = OneRingParams().range_drop_digits
#: A callee is a bombing *target* of a caller that rang it at least this often ...
TARGET_MIN_CALLS = BombingParams().bomber_min_attempts
NIGHT_FROM_HOUR, NIGHT_TO_HOUR = 22, 7
HOUR_S, DAY_S = 3_600, 86_400

#: Integer features: counts (missing means 0 for a number the join did not find).
COUNT_FEATURES: tuple[str, ...] = (
    "calls",
    "callees",
    "answered",
    "short_rings",
    "short_talks",
    "night_calls",
    "intl_calls",
    "trunk_calls",
    "marketing_calls",
    "unconsented_calls",
    "refused_calls",
    "unauthorized_calls",
    "peak_hour",
    "peak_day",
    "active_hours",
    "max_to_one",
    "sequential_steps",
    "target_inbound",
    "target_callers",
    "range_numbers",
    "range_calls",
    "range_short_rings",
    "called_back_by",
    "called_by",
    "reports",
    "reporters",
    "fraud_reports",
    "sanctioned",
    "ring_ms_sum",
    "talk_ms_sum",
)
#: Floating-point features, rounded on collection so that engines agree to the bit.
FLOAT_FEATURES: tuple[str, ...] = ("talk_std_s",)
#: First and last call of the number (epoch seconds): campaign timing, not model inputs.
TIME_FEATURES: tuple[str, ...] = ("first_s", "last_s")
#: Text facts about the number (empty when unknown).
TEXT_FEATURES: tuple[str, ...] = ("holder_type", "purpose", "enterprise_id", "industry", "target")

_ROUND_DIGITS = 6


def _count(condition: ir.BooleanValue) -> ir.IntegerScalar:
    return condition.cast("int64").sum()


def _calls(calls: ir.Table) -> ir.Table:
    """The calls with the per-call flags the aggregates count."""
    local_hour = (calls.local_s // HOUR_S) % 24
    answered = calls.disposition == "answered"
    return calls.mutate(
        answered=answered,
        short_ring=calls.disposition.isin(["cancelled", "no_answer"])
        & (calls.ring_ms <= SHORT_RING_MS),
        short_talk=answered & (calls.talk_ms < SHORT_TALK_MS),
        conversation=answered & (calls.talk_ms >= CONVERSATION_MS),
        night=(local_hour >= NIGHT_FROM_HOUR) | (local_hour < NIGHT_TO_HOUR),
        hour=calls.t // HOUR_S,
        range=ibis.cases(
            (
                calls.caller.length() > RANGE_DROP_DIGITS + 4,
                calls.caller.substr(0, calls.caller.length() - RANGE_DROP_DIGITS),
            ),
            else_=calls.caller,
        ),
    )


def _volume(c: ir.Table) -> ir.Table:
    return c.group_by("caller").aggregate(
        calls=c.count(),
        callees=c.callee.nunique(),
        answered=_count(c.answered),
        short_rings=_count(c.short_ring),
        short_talks=_count(c.short_talk),
        night_calls=_count(c.night),
        intl_calls=_count(c.ingress == "international"),
        trunk_calls=_count(c.ingress == "enterprise"),
        active_hours=c.hour.nunique(),
        ring_ms_sum=c.ring_ms.sum(),
        talk_ms_sum=c.talk_ms.sum(),
        talk_std_s=(c.talk_ms / 1000).std(where=c.answered, how="pop"),
        first_s=c.t.min(),
        last_s=c.t.max(),
        range=c.range.max(),
        ingress=c.ingress.max(),
    )


def _peaks(c: ir.Table) -> ir.Table:
    """Most calls in any sliding hour and any sliding day (windows ending at each call)."""

    def sliding(span_s: int) -> ir.IntegerColumn:
        window = ibis.window(group_by=c.caller, order_by=c.t, range=(-(span_s - 1), 0))
        return c.t.count().over(window)

    per_call = c.select("caller", in_hour=sliding(HOUR_S), in_day=sliding(DAY_S))
    return per_call.group_by("caller").aggregate(
        peak_hour=per_call.in_hour.max(), peak_day=per_call.in_day.max()
    )


def _pairs(c: ir.Table) -> ir.Table:
    """One row per (caller, callee): how often and whether they talked."""
    return c.group_by(["caller", "callee"]).aggregate(
        n=c.count(), digits=c.callee_digits.max(), talked=_count(c.conversation)
    )


def _targets(pairs: ir.Table, c: ir.Table) -> ir.Table:
    """Repeat calls, sequential dialling and bombing targets, per caller."""
    ordered = ibis.window(group_by=pairs.caller, order_by=[pairs.digits, pairs.callee])
    step = pairs.digits - pairs.digits.lag().over(ordered)
    stepped = pairs.mutate(sequential=(step >= 1) & (step <= SEQUENTIAL_MAX_STEP))
    inbound = c.group_by(c.callee.name("target")).aggregate(
        inbound=c.count(), inbound_callers=c.caller.nunique(), inbound_talks=_count(c.conversation)
    )
    joined = stepped.left_join(inbound, stepped.callee == inbound.target)
    repeated = joined.n >= TARGET_MIN_CALLS
    # A target that talks to its callers is a busy line (a shop, a switchboard), not a victim.
    under_attack = repeated & (joined.inbound_talks * 10 <= joined.inbound * 3)
    return joined.group_by("caller").aggregate(
        max_to_one=joined.n.max(),
        sequential_steps=_count(joined.sequential.fill_null(False)),
        target_inbound=joined.inbound.max(where=under_attack),
        target_callers=joined.inbound_callers.max(where=under_attack),
        target=joined.callee.max(where=under_attack),
    )


def _ranges(c: ir.Table) -> ir.Table:
    """Per (range, ingress): numbers, calls and short rings; numbers that rotate inside one
    block share them."""
    return c.group_by(["range", "ingress"]).aggregate(
        range_numbers=c.caller.nunique(),
        range_calls=c.count(),
        range_short_rings=_count(c.short_ring),
    )


def _reciprocity(pairs: ir.Table) -> ir.Table:
    """Callees who called the number back, and every number that called it at all."""
    back = pairs.select(caller=pairs.callee, callee=pairs.caller)
    returned = pairs.semi_join(back, ["caller", "callee"])
    called_back = returned.group_by("caller").aggregate(called_back_by=returned.count())
    called_by = pairs.group_by(pairs.callee.name("caller")).aggregate(called_by=pairs.count())
    return called_back.outer_join(called_by, "caller").select(
        caller=ibis.coalesce(ibis._.caller, ibis._.caller_right),
        called_back_by=ibis._.called_back_by,
        called_by=ibis._.called_by,
    )


def _holders(callers: ir.Table, blocks: ir.Table) -> ir.Table:
    """The block each number is in: holder type and id, purpose (empty when in none)."""
    inside = callers.inner_join(
        blocks,
        [
            callers.caller >= blocks.first,
            callers.caller <= blocks.last,
            callers.caller.length() == blocks.first.length(),
        ],
    )
    return inside.group_by("caller").aggregate(
        holder_type=inside.holder_type.max(),
        holder_id=inside.holder_id.max(),
        purpose=inside.purpose.max(),
    )


def _trunk_calls(c: ir.Table, registry: Mapping[str, ir.Table]) -> ir.Table:
    """Enterprise-trunk calls judged against the registry, aggregated per caller:
    marketing calls, those without consent or after a refusal, and presentations of a number
    outside the enterprise's own blocks."""
    trunks, blocks = registry["trunks"], registry["number_blocks"]
    consents, refusals = registry["consents"], registry["refusals"]
    calls = c.filter(c.ingress == "enterprise").inner_join(trunks, "trunk_id")
    consent = consents.group_by(["enterprise_id", "number"]).aggregate(
        granted_s=consents.granted_at_s.min()
    )
    refused = refusals.group_by(["enterprise_id", "number"]).aggregate(
        refused_s=refusals.refused_at_s.min()
    )
    anyone = refused.filter(refused.enterprise_id == "*").select(
        number=refused.number, refused_all_s=refused.refused_s
    )
    judged = (
        calls.left_join(
            consent,
            [calls.enterprise_id == consent.enterprise_id, calls.callee == consent.number],
        )
        .drop("enterprise_id_right", "number")
        .left_join(
            refused,
            [ibis._.enterprise_id == refused.enterprise_id, ibis._.callee == refused.number],
        )
        .drop("enterprise_id_right", "number")
        .left_join(anyone, ibis._.callee == anyone.number)
        .drop("number")
    )
    own = (
        judged.select("caller", "enterprise_id")
        .distinct()
        .pipe(
            lambda p: p.inner_join(
                blocks,
                [
                    p.enterprise_id == blocks.holder_id,
                    p.caller >= blocks.first,
                    p.caller <= blocks.last,
                    p.caller.length() == blocks.first.length(),
                ],
            )
        )
        .select("caller", "enterprise_id")
        .distinct()
        .mutate(authorized=True)
    )
    j = judged.left_join(own, ["caller", "enterprise_id"])
    marketing = j.marketing.fill_null(False)
    consented = j.granted_s.notnull() & (j.granted_s <= j.t)
    refusal = (j.refused_s.notnull() & (j.refused_s <= j.t)) | (
        j.refused_all_s.notnull() & (j.refused_all_s <= j.t)
    )
    return j.group_by("caller").aggregate(
        marketing_calls=_count(marketing),
        unconsented_calls=_count(marketing & ~consented),
        refused_calls=_count(marketing & refusal),
        unauthorized_calls=_count(j.authorized.isnull()),
        trunk_enterprise=j.enterprise_id.max(),
    )


def _reports(reports: ir.Table) -> ir.Table:
    return reports.group_by(reports.number.name("caller")).aggregate(
        reports=reports.count(),
        reporters=reports.reporter.nunique(),
        fraud_reports=_count(reports.category == "fraud"),
    )


def _sanctioned(numbers: ir.Table, sanctions: ir.Table) -> ir.Table:
    """Whether a sanction on the number or on its enterprise was in force while it called."""
    overlapping = numbers.inner_join(
        sanctions,
        [
            (numbers.caller == sanctions.subject_id) & (sanctions.subject_type == "number")
            | (numbers.enterprise_id == sanctions.subject_id)
            & (sanctions.subject_type == "enterprise"),
            sanctions.starts_at_s <= numbers.last_s,
            sanctions.ends_at_s.isnull() | (sanctions.ends_at_s > numbers.first_s),
        ],
    )
    return overlapping.group_by("caller").aggregate(sanctioned=ibis.literal(1, "int64"))


def _attach(left: ir.Table, right: ir.Table, keys: list[str]) -> ir.Table:
    """``left`` with the non-key columns of ``right`` matched on ``keys`` (left join)."""
    joined = left.left_join(right, keys)
    return joined.select(*left.columns, *(c for c in right.columns if c not in keys))


def number_features(
    calls: ir.Table,
    registry: Mapping[str, ir.Table],
    stage: Callable[[ir.Table], ir.Table] | None = None,
) -> ir.Table:
    """One row per calling number with every feature named in the module docstring.

    Counts the join found nothing for are 0, text facts ``""``; ``enterprise_id`` is the
    enterprise whose trunk carried the number's calls, else the holder of its block.
    ``stage`` keeps the calls and the caller-callee pairs, which many parts read
    (:func:`ringfence.analytics.engines.stager`).
    """
    keep = stage or (lambda table: table)
    c = keep(_calls(calls))
    pairs = keep(_pairs(c))
    base = _volume(c)
    holders = _holders(base.select("caller"), registry["number_blocks"])
    numbers = base
    for extra, keys in (
        (_peaks(c), ["caller"]),
        (_targets(pairs, c), ["caller"]),
        (_ranges(c), ["range", "ingress"]),
        (_reciprocity(pairs), ["caller"]),
        (holders, ["caller"]),
        (_trunk_calls(c, registry), ["caller"]),
        (_reports(registry["reports"]), ["caller"]),
    ):
        numbers = _attach(numbers, extra, keys)
    numbers = numbers.mutate(
        enterprise_id=ibis.coalesce(
            numbers.trunk_enterprise,
            ibis.ifelse(numbers.holder_type == "enterprise", numbers.holder_id, None),
            "",
        )
    )
    numbers = _attach(numbers, _sanctioned(numbers, registry["sanctions"]), ["caller"])
    enterprises = registry["enterprises"].select("enterprise_id", "industry")
    numbers = _attach(numbers, enterprises, ["enterprise_id"])
    return numbers.select(
        number=numbers.caller,
        **{name: numbers[name].fill_null(0).cast("int64") for name in COUNT_FEATURES},
        **{name: numbers[name].fill_null(0.0).cast("float64") for name in FLOAT_FEATURES},
        **{name: numbers[name] for name in TIME_FEATURES},
        **{name: numbers[name].fill_null("") for name in TEXT_FEATURES},
    )


def collect(con: BaseBackend, features: ir.Table) -> pd.DataFrame:
    """Execute ``features`` on the engine ``con`` and return it as a DataFrame sorted by
    number, floats rounded so that every engine yields identical values."""
    frame = con.to_pyarrow(features).to_pandas()
    for name in FLOAT_FEATURES:
        frame[name] = frame[name].round(_ROUND_DIGITS)
    return frame.sort_values("number", ignore_index=True)
