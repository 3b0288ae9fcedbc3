"""HotFront answers every request exactly as the app does without it.

Two apps over copies of one registry, with the same clock: one as served, one with a
dependency override, which turns the front and HotRoute's own shortcut off (every request
goes through FastAPI's routing and request handling). Each request goes to both, in the same
order, so their screeners see the same calls; status, body and headers must be equal, and so
must the metrics. A spy on the layer behind the front tells which requests it answered itself.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client import generate_latest
from starlette.types import Message, Receive, Scope, Send
from tests.api.conftest import E1_NUMBER, NOW, OTHER, SUBSCRIBER, attempt

from ringfence.api import Settings, create_app
from ringfence.api.fastpath import HotFront, _hot_routes
from ringfence.api.routes import screening
from ringfence.store.errors import RecordNotFound

JSON = {"Content-Type": "application/json"}


@dataclass
class Twins:
    """The app as served and the app with its front off, their clients, and the principals'
    headers; ``passed`` lists the paths the front handed on to the rest of its app."""

    hot: TestClient
    plain: TestClient
    tokens: dict[str, dict[str, str]]
    passed: list[str]

    @property
    def apps(self) -> tuple[FastAPI, FastAPI]:
        return self.hot.app, self.plain.app  # type: ignore[return-value]

    def send(self, method: str, path: str, who: str | None, **kwargs: Any) -> tuple[Any, bool]:
        """The answer of both apps (asserted equal) and whether the front answered itself."""
        headers = {**(self.tokens[who] if who else {}), **kwargs.pop("headers", {})}
        before = len(self.passed)
        hot = self.hot.request(method, path, headers=headers, **kwargs)
        plain = self.plain.request(method, path, headers=headers, **kwargs)
        assert (hot.status_code, hot.content) == (plain.status_code, plain.content)
        assert hot.headers.multi_items() == plain.headers.multi_items()
        return hot, len(self.passed) == before


@pytest.fixture
def twins(tmp_path: Path, template: tuple[Path, dict[str, dict[str, str]]]) -> Iterator[Twins]:
    source, tokens = template
    apps = []
    for name in ("hot", "plain"):
        shutil.copyfile(source, tmp_path / f"{name}.db")
        db_url = f"sqlite:///{tmp_path / name}.db"
        apps.append(create_app(Settings(db_url=db_url), clock=NOW.timestamp))
    apps[1].dependency_overrides[_unused] = _unused
    with (
        TestClient(apps[0], raise_server_exceptions=False, follow_redirects=False) as hot,
        TestClient(apps[1], raise_server_exceptions=False, follow_redirects=False) as plain,
    ):
        yield Twins(hot, plain, tokens, _spy(apps[0]))


def _unused() -> None:
    """A dependency no route uses: overriding it changes nothing but the path requests take."""


def _spy(app: FastAPI) -> list[str]:
    """Records the path of every HTTP request the app's front hands on."""
    front = app.middleware_stack.app  # type: ignore[union-attr]  # inside ServerErrorMiddleware
    assert isinstance(front, HotFront)
    inner, passed = front.app, []

    async def spy(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            passed.append(scope["path"])
        await inner(scope, receive, send)

    front.app = spy
    return passed


def _body(value: object) -> bytes:
    return json.dumps(value).encode()


def _batch(n: int, **overrides: object) -> dict[str, object]:
    fields: dict[str, object] = {"callee": OTHER, **overrides}
    return {"attempts": [attempt(call_id=f"b{i}", **fields) for i in range(n)]}


VALID = _body(attempt(callee=OTHER))
#: (what, method, path, who, request arguments, answered by the front itself), in order: the
#: first request with each token goes through the app (which looks the token up and caches it)
SEQUENCE: list[tuple[str, str, str, str | None, dict[str, Any], bool]] = [
    ("a token's first request", "POST", "/v1/screen", "carrier", {"content": VALID}, False),
    ("single", "POST", "/v1/screen", "carrier", {"content": VALID, "headers": JSON}, True),
    ("the same call again", "POST", "/v1/screen", "carrier", {"content": VALID}, True),
    ("batch", "POST", "/v1/screen", "carrier", {"json": _batch(3)}, True),
    ("another callee", "POST", "/v1/screen", "carrier", {"json": attempt()}, True),
    ("regulator, first", "POST", "/v1/screen", "regulator", {"json": attempt()}, False),
    ("regulator", "POST", "/v1/screen", "regulator", {"json": _batch(2)}, True),
    ("subscriber, first", "POST", "/v1/screen", "subscriber", {"content": VALID}, False),
    ("subscriber may not screen", "POST", "/v1/screen", "subscriber", {"content": VALID}, True),
    ("enterprise, first", "POST", "/v1/screen", "e1", {"content": VALID}, False),
    ("enterprise may not screen", "POST", "/v1/screen", "e1", {"json": _batch(2)}, True),
    ("no token", "POST", "/v1/screen", None, {"content": VALID}, False),
    (
        "unknown token",
        "POST",
        "/v1/screen",
        None,
        {"content": VALID, "headers": {"Authorization": "Bearer nope"}},
        False,
    ),
    (
        "not a bearer token",
        "POST",
        "/v1/screen",
        None,
        {"content": VALID, "headers": {"Authorization": "Basic abc"}},
        False,
    ),
    (
        "empty bearer token",
        "POST",
        "/v1/screen",
        None,
        {"content": VALID, "headers": {"Authorization": "Bearer  "}},
        False,
    ),
    ("bad JSON", "POST", "/v1/screen", "carrier", {"content": b"{not json"}, False),
    ("empty body", "POST", "/v1/screen", "carrier", {"content": b""}, False),
    ("NaN", "POST", "/v1/screen", "carrier", {"content": b'{"caller": NaN}'}, False),
    ("top-level array", "POST", "/v1/screen", "carrier", {"json": [attempt()]}, False),
    (
        "deeply nested",
        "POST",
        "/v1/screen",
        "carrier",
        {"content": b"[" * 5000 + b"]" * 5000},
        False,
    ),
    (
        "byte order mark",
        "POST",
        "/v1/screen",
        "carrier",
        {"content": b"\xef\xbb\xbf" + VALID},
        False,
    ),
    (
        "not UTF-8",
        "POST",
        "/v1/screen",
        "carrier",
        {"content": VALID.replace(b"c1", b"\xff")},
        False,
    ),
    ("wrong types", "POST", "/v1/screen", "carrier", {"json": {"caller": 1}}, False),
    ("number as time", "POST", "/v1/screen", "carrier", {"json": attempt(time=1)}, True),
    ("naive time", "POST", "/v1/screen", "carrier", {"json": attempt(time="2019-03-01")}, False),
    ("unknown ingress", "POST", "/v1/screen", "carrier", {"json": attempt(ingress="x")}, False),
    ("unknown field", "POST", "/v1/screen", "carrier", {"json": attempt(extra=1)}, False),
    ("unknown field in a batch", "POST", "/v1/screen", "carrier", {"json": _batch(2, x=1)}, False),
    (
        "a single with a batch's key",
        "POST",
        "/v1/screen",
        "carrier",
        {"json": {**attempt(), "attempts": [attempt()]}},
        False,
    ),
    ("empty batch", "POST", "/v1/screen", "carrier", {"json": {"attempts": []}}, False),
    (
        "malformed numbers",
        "POST",
        "/v1/screen",
        "carrier",
        {"json": _batch(1, caller="12ab", callee="+86 (0) abc")},
        True,
    ),
    ("number too long", "POST", "/v1/screen", "carrier", {"json": attempt(caller="1" * 65)}, False),
    (
        "duplicate keys",
        "POST",
        "/v1/screen",
        "carrier",
        {"content": b'{"callee":"1",' + VALID[1:]},
        True,
    ),
    (
        "spaces around the batch key",
        "POST",
        "/v1/screen",
        "carrier",
        {"content": b'{ "attempts" : [' + VALID + b"] }"},
        True,
    ),
    (
        "non-ASCII",
        "POST",
        "/v1/screen",
        "carrier",
        {"json": attempt(call_id="呼叫\u2028😀", callee=OTHER)},
        True,
    ),
    (
        "lone surrogate",
        "POST",
        "/v1/screen",
        "carrier",
        {"content": b'{"call_id":"\\ud800",' + VALID[1:]},
        False,
    ),
    ("more than max_batch", "POST", "/v1/screen", "carrier", {"json": _batch(1001)}, True),
    (
        "over the body limit",
        "POST",
        "/v1/screen",
        "carrier",
        {"content": b"[" + b" " * (1 << 20) + b"]"},
        False,
    ),
    (
        "wrong content type",
        "POST",
        "/v1/screen",
        "carrier",
        {"content": VALID, "headers": {"Content-Type": "text/plain"}},
        False,
    ),
    (
        "JSON with a charset",
        "POST",
        "/v1/screen",
        "carrier",
        {"content": VALID, "headers": {"Content-Type": "application/json; charset=utf-8"}},
        False,
    ),
    (
        "UTF-16",
        "POST",
        "/v1/screen",
        "carrier",
        {"content": VALID.decode().encode("utf-16")},
        False,
    ),
    ("GET", "GET", "/v1/screen", "carrier", {}, False),
    ("trailing slash", "POST", "/v1/screen/", "carrier", {"content": VALID}, False),
    (
        "call ends",
        "POST",
        "/v1/events",
        "carrier",
        {
            "json": {
                "caller": E1_NUMBER,
                "callee": SUBSCRIBER,
                "start_time": NOW.isoformat(),
                "ring_ms": 1000,
                "talk_ms": 0,
                "disposition": "cancelled",
            }
        },
        True,
    ),
    ("call ends, invalid", "POST", "/v1/events", "carrier", {"json": {"events": []}}, False),
    ("another route", "GET", "/healthz", None, {}, False),
]


def test_every_request_is_answered_as_without_the_front(twins: Twins) -> None:
    for what, method, path, who, kwargs, fast in SEQUENCE:
        _answer, answered = twins.send(method, path, who, **kwargs)
        assert answered is fast, what
    hot, plain = (_metrics(app) for app in twins.apps)
    assert hot == plain
    assert hot["ringfence_screen_request_seconds_count"] >= 10


def test_several_authorization_headers_count_the_first(twins: Twins) -> None:
    twins.send("POST", "/v1/screen", "carrier", content=VALID)  # the token is known now
    carrier = twins.tokens["carrier"]["Authorization"]
    for first, second in ((carrier, "Bearer nope"), ("Bearer nope", carrier)):
        headers = [("Authorization", first), ("Authorization", second)]
        hot = twins.hot.post("/v1/screen", content=VALID, headers=headers)
        plain = twins.plain.post("/v1/screen", content=VALID, headers=headers)
        assert (hot.status_code, hot.content) == (plain.status_code, plain.content)
        assert hot.status_code == (200 if first == carrier else 401)


@pytest.mark.parametrize(
    ("error", "status"), [(RuntimeError("boom"), 500), (RecordNotFound("gone"), 404)]
)
def test_errors_while_screening_are_answered_by_the_apps_handlers(
    twins: Twins,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    error: Exception,
    status: int,
) -> None:
    twins.send("POST", "/v1/screen", "carrier", content=VALID)

    def fail(*_args: object) -> None:
        raise error

    for app in twins.apps:
        monkeypatch.setattr(app.state.context.service, "screen", fail)
    answer, answered = twins.send("POST", "/v1/screen", "carrier", content=VALID)
    assert (answer.status_code, answered) == (status, True)
    logged = [r for r in caplog.records if r.getMessage() == "unexpected error"]
    assert len(logged) == (2 if status == 500 else 0)


# -- bodies in several messages, and clients that leave: the ASGI messages themselves ---------
def _scope(token: str, path: str = "/v1/screen", length: int | None = None) -> Scope:
    headers = [(b"content-type", b"application/json"), (b"authorization", token.encode())]
    if length is not None:
        headers.append((b"content-length", str(length).encode()))
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8080),
    }


async def _exchange(app: FastAPI, scope: Scope, chunks: list[Message]) -> tuple[Any, ...]:
    """What ``app`` sends for a request whose messages are ``chunks``, and what it raises."""
    pending, sent = list(chunks), []

    async def receive() -> Message:
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    try:
        await app(dict(scope), receive, send)
        raised = None
    except Exception as exc:  # the server's to log: compared like the rest
        raised = type(exc)
    return tuple(json.dumps(m, default=repr, sort_keys=True) for m in sent), raised


def _chunks(body: bytes, size: int, end: Message | None = None) -> list[Message]:
    parts = [body[i : i + size] for i in range(0, len(body), size)]
    messages: list[Message] = [
        {"type": "http.request", "body": p, "more_body": True} for p in parts
    ]
    messages.append(end or {"type": "http.request", "body": b"", "more_body": False})
    return messages


BATCH = _body(_batch(20))


@pytest.mark.parametrize(
    ("what", "chunks", "length", "fast"),
    [
        ("in one message", _chunks(VALID, len(VALID)), len(VALID), True),
        ("in several messages", _chunks(BATCH, 100), None, True),
        ("client gone", _chunks(BATCH, 100, {"type": "http.disconnect"}), None, False),
        ("over the limit, undeclared", _chunks(b" " * (1 << 20) + b"[]", 1 << 16), None, False),
        ("over the limit, declared", _chunks(VALID, len(VALID)), (1 << 20) + 1, False),
    ],
)
def test_request_messages_are_answered_as_without_the_front(
    twins: Twins, what: str, chunks: list[Message], length: int | None, fast: bool
) -> None:
    twins.send("POST", "/v1/screen", "carrier", content=VALID)  # the token is known now
    scope = _scope(twins.tokens["carrier"]["Authorization"], length=length)
    before = len(twins.passed)
    hot, plain = (asyncio.run(_exchange(app, scope, chunks)) for app in twins.apps)
    assert hot == plain, what
    assert (len(twins.passed) == before) is fast, what


def test_undeclared_bodies_over_the_limit_are_refused_with_413_on_every_route(
    twins: Twins,
) -> None:
    scope = _scope(twins.tokens["regulator"]["Authorization"], path="/v1/refusals")
    chunks = _chunks(b" " * (1 << 20) + b"{}", 1 << 16)
    for app in twins.apps:  # FastAPI's own answer to the error while reading would be 400
        sent, raised = asyncio.run(_exchange(app, scope, chunks))
        assert (json.loads(sent[0])["status"], raised) == (413, None)


# -- any body: generated ------------------------------------------------------------------------
TEXT = st.sampled_from(["", "c1", "T1", "T2", "呼叫", "x" * 129])
NUMBERS = st.sampled_from([E1_NUMBER, SUBSCRIBER, OTHER, "12ab", "+86 138 1234 5678", "1" * 65])
TIMES = st.sampled_from(
    [NOW.isoformat(), "2019-03-01T23:30:00+08:00", "2019-03-01T10:00:00Z", "2019-03-01", "x"]
)
ANY = st.one_of(st.none(), st.integers(), st.booleans(), TEXT)
ATTEMPTS = st.fixed_dictionaries(
    {
        "caller": st.one_of(NUMBERS, NUMBERS, ANY),
        "callee": NUMBERS,
        "ingress": st.sampled_from(["enterprise", "enterprise", "subscriber", "interconnect", "x"]),
        "time": st.one_of(TIMES, TIMES, st.integers(0, 2**33)),
    },
    optional={"call_id": TEXT, "trunk_id": TEXT, "identity": TEXT, "unknown": ANY},
)
BODIES = st.one_of(
    ATTEMPTS, st.fixed_dictionaries({"attempts": st.lists(ATTEMPTS, min_size=0, max_size=4)})
)


@given(body=BODIES)
@settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_any_body_is_answered_as_without_the_front(twins: Twins, body: object) -> None:
    twins.send("POST", "/v1/screen", "carrier", json=body)


# -- which routes the front answers -------------------------------------------------------------
def test_the_front_answers_a_route_only_where_the_router_would_pick_it() -> None:
    picked = FastAPI()
    picked.include_router(screening.router)
    assert set(_hot_routes(picked)) == {("/v1/screen", "POST"), ("/v1/events", "POST")}
    shadowed = FastAPI()
    shadowed.post("/v1/screen")(lambda: None)
    shadowed.include_router(screening.router)
    assert set(_hot_routes(shadowed)) == {("/v1/events", "POST")}


def _metrics(app: FastAPI) -> dict[str, float]:
    """The app's metrics that count (not those that time)."""
    text = generate_latest(app.state.context.metrics.registry).decode()
    figures = {}
    for line in text.splitlines():
        name, _, value = line.rpartition(" ")
        if line.startswith("#") or "_created" in name or "_sum" in name or "_bucket" in name:
            continue
        figures[name] = float(value)
    return figures
