"""Request and response bodies. JSON field names are the bundle's column names (DESIGN.md).

Times are ISO 8601 with an offset on the way in (``2019-03-01T09:30:00+08:00``) and UTC on
the way out. Numbers are strings as signalled; the API normalises them and answers 422 for
one it cannot use.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
)

from ringfence.core.types import Action, Disposition, Ingress


def _from_epoch(value: Any) -> Any:
    return datetime.fromtimestamp(value, UTC) if isinstance(value, int | float) else value


#: A time read from an epoch-seconds column of the store, shown as an aware datetime.
Instant = Annotated[datetime, BeforeValidator(_from_epoch)]
Number = Annotated[str, Field(min_length=1, max_length=64, examples=["+8613812345678"])]
Ident = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^\s/]+$")]
Text = Annotated[str, Field(max_length=500)]
Industry = Literal["finance", "real_estate", "medical", "hr", "tourism", "other"]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", from_attributes=True)


# -- screening --------------------------------------------------------------------------------
class Attempt(Model):
    """A call attempt as signalled (a ``cdrs`` row at its ``start_time``)."""

    call_id: Annotated[str, Field(max_length=128)] = ""
    caller: Annotated[str, Field(max_length=64)]
    callee: Annotated[str, Field(max_length=64)]
    ingress: Ingress
    trunk_id: Annotated[str, Field(max_length=64)] = ""
    time: AwareDatetime
    identity: Annotated[str, Field(max_length=8192)] = ""


class AttemptBatch(Model):
    attempts: Annotated[list[Attempt], Field(min_length=1)]


class OneOrBatch:
    """Tells a ``one | batch`` body apart (:meth:`kind`): a batch is an object with ``key``.

    A plain union validates a batch against the single model too, and that failure costs more
    than the batch itself (each error carries the whole input). The tags are the models' names,
    so errors name the model as a plain union's do.

    A callable discriminator needs the body decoded into Python objects first, which costs
    about as much as validating it; :meth:`model_for` guesses the model from the raw JSON
    instead. Both models forbid unknown fields and only the batch has ``key``, so a body that
    the guessed model accepts is one this discriminator would have sent to that model too.
    """

    def __init__(self, key: str, one: type[Model], batch: type[Model]) -> None:
        if (
            key in one.model_fields
            or key not in batch.model_fields
            or one.model_config.get("extra") != "forbid"
            or batch.model_config.get("extra") != "forbid"
        ):
            raise TypeError(
                f"{one.__name__} | {batch.__name__}: both must forbid extra fields, and only "
                f"{batch.__name__} have {key!r}"
            )
        self.key, self.one, self.batch = key, one, batch
        self._marker = f'"{key}"'.encode()

    def kind(self, value: Any) -> str:
        """The tag of ``value``: the discriminator proper."""
        is_batch = self.key in value if isinstance(value, dict) else isinstance(value, self.batch)
        return self.batch.__name__ if is_batch else self.one.__name__

    def model_for(self, data: bytes) -> type[Model]:
        """The model a JSON body most likely is (the batch when ``"key"`` appears in it)."""
        return self.batch if self._marker in data else self.one


AttemptOrBatch = Annotated[
    Annotated[Attempt, Tag("Attempt")] | Annotated[AttemptBatch, Tag("AttemptBatch")],
    Discriminator(OneOrBatch("attempts", Attempt, AttemptBatch).kind),
]


class VerdictOut(Model):
    call_id: str
    action: Action
    reasons: list[str]
    label: str
    details: list[str]


class VerdictBatch(Model):
    verdicts: list[VerdictOut]


class CallEndIn(Model):
    """A call end (a ``cdrs`` row): what the detectors learn from."""

    call_id: Annotated[str, Field(max_length=128)] = ""
    start_time: AwareDatetime
    caller: Annotated[str, Field(max_length=64)]
    callee: Annotated[str, Field(max_length=64)]
    ingress: Ingress = Ingress.SUBSCRIBER
    trunk_id: Annotated[str, Field(max_length=64)] = ""
    ring_ms: Annotated[int, Field(ge=0, le=86_400_000)]
    talk_ms: Annotated[int, Field(ge=0, le=86_400_000)]
    disposition: Disposition


class CallEndBatch(Model):
    events: Annotated[list[CallEndIn], Field(min_length=1)]


CallEndOrBatch = Annotated[
    Annotated[CallEndIn, Tag("CallEndIn")] | Annotated[CallEndBatch, Tag("CallEndBatch")],
    Discriminator(OneOrBatch("events", CallEndIn, CallEndBatch).kind),
]


class Accepted(Model):
    accepted: int


# -- numbers, refusals, consents, reports -------------------------------------------------------
class FlagOut(Model):
    reason: str
    detail: str
    category: str


class NumberOut(Model):
    """What a handset shows for a number."""

    number: str
    label: str
    report_count: int
    categories: dict[str, int]
    flags: list[FlagOut]


class RefusalIn(Model):
    number: Number
    enterprise_id: Ident = "*"
    channel: Annotated[str, Field(min_length=1, max_length=32)] = "api"
    refused_at: AwareDatetime | None = None


class RefusalOut(Model):
    id: int
    number: str
    enterprise_id: str
    channel: str
    refused_at: Instant


class ConsentIn(Model):
    number: Number
    enterprise_id: Ident
    channel: Annotated[str, Field(min_length=1, max_length=32)]
    granted_at: AwareDatetime
    evidence_sha256: Annotated[str, Field(max_length=64)] = ""
    #: The evidence document itself, base64; stored and readable by this enterprise only.
    evidence: Annotated[str, Field(max_length=700_000)] = ""
    evidence_type: Annotated[str, Field(max_length=100, pattern=r"^([\w.+-]+/[\w.+-]+)?$")] = ""


class ConsentOut(Model):
    id: int
    number: str
    enterprise_id: str
    channel: str
    granted_at: Instant
    evidence_sha256: str
    evidence_type: str


class ReportIn(Model):
    number: Number
    category: Literal[
        "fraud",
        "marketing",
        "harassment",
        "one_ring",
        "robocall",
        "real_estate",
        "finance",
        "other",
    ]
    #: Required for carriers and the regulator relaying a report; a subscriber reports as itself.
    reporter: Annotated[str, Field(max_length=64)] = ""
    reported_at: AwareDatetime | None = None


class ReportOut(Model):
    id: int
    reporter: str
    number: str
    category: str
    reported_at: Instant


class AppealIn(Model):
    number: Number
    statement: Text = ""


class AppealResolution(Model):
    upheld: bool


class AppealOut(Model):
    id: int
    number: str
    appellant: str
    statement: str
    filed_at: Instant
    status: str
    resolved_by: str
    resolved_at: Instant | None


class ScrubIn(Model):
    numbers: Annotated[list[Annotated[str, Field(max_length=64)]], Field(min_length=1)]
    #: The enterprise whose list it is (an enterprise token scrubs for itself only).
    enterprise_id: Ident | None = None
    time: AwareDatetime | None = None


class ScrubItem(Model):
    number: str
    callable: bool
    reasons: list[str]
    details: list[str]


class ScrubOut(Model):
    enterprise_id: str
    time: datetime
    results: list[ScrubItem]


# -- the registry's resources -----------------------------------------------------------------
class EnterpriseIn(Model):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    industry: Industry
    credit_code: Annotated[str, Field(max_length=18)] = ""


class EnterpriseOut(EnterpriseIn):
    enterprise_id: str


class EnterpriseCreate(EnterpriseIn):
    enterprise_id: Ident


class TrunkIn(Model):
    enterprise_id: Ident
    carrier: Annotated[str, Field(max_length=64)] = ""
    marketing: bool = False


class TrunkCreate(TrunkIn):
    trunk_id: Ident


class TrunkOut(TrunkIn):
    trunk_id: str


class NumberBlockIn(Model):
    first: Number
    last: Number
    holder_type: Literal["carrier", "enterprise"]
    holder_id: Ident
    purpose: Literal["general", "marketing", "service"]


class NumberBlockOut(NumberBlockIn):
    id: int


class SanctionIn(Model):
    subject_type: Literal["enterprise", "number"]
    subject_id: Annotated[str, Field(min_length=1, max_length=64)]
    authority: Annotated[str, Field(min_length=1, max_length=100)]
    reason: Text = ""
    starts_at: AwareDatetime
    ends_at: AwareDatetime | None = None


class SanctionOut(Model):
    id: int
    subject_type: str
    subject_id: str
    authority: str
    reason: str
    starts_at: Instant
    ends_at: Instant | None


class ErrorDetail(Model):
    code: str
    message: str
    details: list[Any]


class ErrorOut(Model):
    error: ErrorDetail
