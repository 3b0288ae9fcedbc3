"""Detection quality against a bundle's ground truth. Only this module and the demo read truth.

Calls: a nuisance call counts as stopped when it is blocked; precision, recall and F1 of
blocking; the stop rate per kind; false blocks on legitimate calls. Behavioural kinds (the
online detectors must see a campaign's first calls before they can know it) also get a stop
rate after warm-up: each campaign's first :data:`WARMUP_CALLS` calls are left out.

Numbers (when ``numbers.csv`` from ``analyze`` is present): a number counts as flagged at
``score >= 0.5``; precision, recall and F1 against the truth roles.
"""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ringfence.bundle import Bundle
from ringfence.core.errors import BundleError
from ringfence.sim.kinds import KINDS

#: Calls of each campaign that a behavioural detector needs to see before it can act.
WARMUP_CALLS = 10
NUISANCE_ROLES = frozenset(
    {"marketing_unconsented", "robocall", "one_ring", "call_bomber", "spoofer", "fraud"}
)
SCORE_THRESHOLD = 0.5


@dataclass
class KindQuality:
    """How the screener treated the calls of one kind."""

    kind: str
    nuisance: bool
    calls: int = 0
    blocked: int = 0
    labelled: int = 0
    #: Calls that got the action their kind deserves (block a nuisance, label a callback, ...).
    as_expected: int = 0
    after_warmup: int = 0
    blocked_after_warmup: int = 0

    @property
    def stop_rate(self) -> float:
        return self.blocked / self.calls if self.calls else 0.0

    @property
    def stop_rate_after_warmup(self) -> float:
        return self.blocked_after_warmup / self.after_warmup if self.after_warmup else 0.0


@dataclass
class Scores:
    """Precision, recall and F1 of one binary decision."""

    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float]:
        return {**asdict(self), "precision": self.precision, "recall": self.recall, "f1": self.f1}


@dataclass
class Evaluation:
    """Everything ``ringfence evaluate`` reports."""

    calls: Scores | None = None
    kinds: list[KindQuality] = field(default_factory=list)
    legit_calls: int = 0
    legit_blocked: int = 0
    emergency_calls: int = 0
    emergency_not_allowed: int = 0
    numbers: Scores | None = None
    missing_verdicts: int = 0

    @property
    def false_block_per_10k(self) -> float:
        return 10_000 * self.legit_blocked / self.legit_calls if self.legit_calls else 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "calls": self.calls.as_dict() if self.calls else None,
            "kinds": [
                {
                    **asdict(k),
                    "stop_rate": k.stop_rate,
                    "stop_rate_after_warmup": k.stop_rate_after_warmup,
                }
                for k in self.kinds
            ],
            "legit_calls": self.legit_calls,
            "legit_blocked": self.legit_blocked,
            "false_block_per_10k": self.false_block_per_10k,
            "emergency_calls": self.emergency_calls,
            "emergency_not_allowed": self.emergency_not_allowed,
            "numbers": self.numbers.as_dict() if self.numbers else None,
            "missing_verdicts": self.missing_verdicts,
            "warmup_calls": WARMUP_CALLS,
        }


def evaluate(bundle_dir: Path, out_dir: Path) -> Evaluation:
    """Compare ``out_dir``'s verdicts and/or number scores with the bundle's truth files."""
    bundle = Bundle(bundle_dir)
    verdicts_path, numbers_path = out_dir / "verdicts.csv", out_dir / "numbers.csv"
    if not verdicts_path.exists() and not numbers_path.exists():
        raise BundleError(
            f"{out_dir}: neither verdicts.csv (replay) nor numbers.csv (analyze) found"
        )
    if not bundle.has("truth_calls") and not bundle.has("truth_numbers"):
        raise BundleError(f"{bundle_dir}: the bundle has no truth files to evaluate against")
    result = Evaluation()
    if verdicts_path.exists():
        _evaluate_calls(bundle, verdicts_path, result)
    if numbers_path.exists():
        result.numbers = _evaluate_numbers(bundle, numbers_path)
    return result


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _evaluate_calls(bundle: Bundle, verdicts_path: Path, result: Evaluation) -> None:
    actions = {row["call_id"]: row["action"] for row in _read_csv(verdicts_path)}
    truth = bundle.rows("truth_calls")
    campaign_of = {
        str(r["number"]): str(r["campaign_id"] or "") for r in bundle.rows("truth_numbers")
    }
    cdrs = bundle.read("cdrs").table.select(["call_id", "caller", "callee", "start_time"])
    cdrs = cdrs.sort_by([("start_time", "ascending")])
    order = {cid: i for i, cid in enumerate(cdrs.column("call_id").to_pylist())}
    callers = cdrs.column("caller").to_pylist()

    kinds: dict[str, KindQuality] = {}
    seen_in_campaign: Counter[tuple[str, str]] = Counter()
    tp = fp = fn = tn = 0
    for row in sorted(truth, key=lambda r: order.get(str(r["call_id"]), -1)):
        call_id, kind, nuisance = str(row["call_id"]), str(row["kind"]), bool(row["nuisance"])
        action = actions.get(call_id)
        if action is None:
            result.missing_verdicts += 1
            continue
        quality = kinds.setdefault(kind, KindQuality(kind, nuisance))
        quality.calls += 1
        blocked = action == "block"
        quality.blocked += blocked
        quality.labelled += action == "label"
        info = KINDS.get(kind)
        quality.as_expected += info is not None and action == info.action.value
        if info is not None and info.behavioural and nuisance:
            i = order.get(call_id)
            campaign = campaign_of.get(str(callers[i]), str(callers[i])) if i is not None else ""
            seen_in_campaign[(kind, campaign)] += 1
            if seen_in_campaign[(kind, campaign)] > WARMUP_CALLS:
                quality.after_warmup += 1
                quality.blocked_after_warmup += blocked
        if nuisance:
            tp += blocked
            fn += not blocked
        else:
            fp += blocked
            tn += not blocked
            result.legit_calls += 1
            result.legit_blocked += blocked
        if kind in ("emergency", "emergency_callback"):
            result.emergency_calls += 1
            result.emergency_not_allowed += action != "allow"
    result.calls = Scores(tp, fp, fn, tn)
    result.kinds = sorted(kinds.values(), key=lambda k: (not k.nuisance, k.kind))


def _evaluate_numbers(bundle: Bundle, numbers_path: Path) -> Scores:
    roles = {str(r["number"]): str(r["role"]) for r in bundle.rows("truth_numbers")}
    scored = defaultdict(float)
    for row in _read_csv(numbers_path):
        scored[row["number"]] = float(row["score"])
    tp = fp = fn = tn = 0
    for number, role in roles.items():
        flagged = scored.get(number, 0.0) >= SCORE_THRESHOLD
        bad = role in NUISANCE_ROLES
        tp += flagged and bad
        fp += flagged and not bad
        fn += bad and not flagged
        tn += not bad and not flagged
    return Scores(tp, fp, fn, tn)


def write_evaluation(result: Evaluation, path: Path) -> None:
    """Write the evaluation as JSON."""
    path.write_text(json.dumps(result.as_dict(), indent=2), encoding="utf-8")
