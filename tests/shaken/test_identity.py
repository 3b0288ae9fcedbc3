"""The Identity header field: full form, parameters, malformed values, fuzzing."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ringfence.shaken.errors import IdentityTooLarge, MalformedIdentity, ShakenError
from ringfence.shaken.identity import (
    MAX_IDENTITY_CHARS,
    parse_identity,
    render_identity,
    split_identity_values,
)

TOKEN = "aGVhZGVy.cGF5bG9hZA.c2ln"
INFO = "https://certs.example.org/sp.pem"


@pytest.mark.parametrize(
    "value",
    [
        f"{TOKEN};info=<{INFO}>;alg=ES256;ppt=shaken",
        f'{TOKEN} ; info = <{INFO}> ; alg=ES256 ; ppt="shaken"',
        f"{TOKEN};INFO=<{INFO}>;ppt=shaken;alg=ES256;x-extra=1",
    ],
)
def test_parses_full_form(value: str) -> None:
    header = parse_identity(value)
    assert (header.token, header.info, header.alg, header.ppt) == (TOKEN, INFO, "ES256", "shaken")


def test_defaults_alg_and_ppt() -> None:
    header = parse_identity(f"{TOKEN};info=<{INFO}>")
    assert (header.alg, header.ppt) == ("ES256", None)


def test_bare_token_only_when_not_strict() -> None:
    assert parse_identity(TOKEN, strict=False).info == ""
    with pytest.raises(MalformedIdentity):
        parse_identity(TOKEN)


@pytest.mark.parametrize(
    "value",
    [
        "",
        ";info=<https://x/y>",
        f"{TOKEN} info=<{INFO}>",
        f"{TOKEN};info=<{INFO}",
        f"{TOKEN};info",
        f"{TOKEN};info=<{INFO}>;alg",
        f"{TOKEN};info=<{INFO}>;alg=ES 256",
        f"{TOKEN};info=<{INFO}>;ppt=shaken;ppt=div",
        f"{TOKEN};info=<{INFO}>;=x",
        f"{TOKEN}+/;info=<{INFO}>",
        f"{TOKEN}é;info=<{INFO}>",
        f'{TOKEN};info=<{INFO}>;ppt="shaken',
    ],
)
def test_rejects_malformed(value: str) -> None:
    with pytest.raises(MalformedIdentity):
        parse_identity(value)


def test_rejects_huge_values_before_parsing() -> None:
    with pytest.raises(IdentityTooLarge):
        parse_identity("a" * (MAX_IDENTITY_CHARS + 1))


def test_render_round_trips() -> None:
    rendered = render_identity(TOKEN, INFO, ppt="shaken")
    assert rendered == f"{TOKEN};info=<{INFO}>;alg=ES256;ppt=shaken"
    assert parse_identity(rendered).ppt == "shaken"


def test_split_keeps_commas_inside_brackets_and_quotes() -> None:
    a = f"{TOKEN};info=<https://x/a,b.pem>;ppt=shaken"
    b = f'{TOKEN};info=<{INFO}>;ppt="div,x"'
    assert split_identity_values(f"{a}, {b}") == [a, b]


@given(st.text(max_size=200))
def test_fuzzed_values_raise_only_shaken_errors(value: str) -> None:
    with contextlib.suppress(ShakenError):
        parse_identity(value)


@given(
    st.text(alphabet="abcXYZ019-_.", min_size=1, max_size=40),
    st.sampled_from([None, "shaken", "div", "rcd"]),
)
def test_render_then_parse_is_identity(token: str, ppt: str | None) -> None:
    header = parse_identity(render_identity(token, INFO, ppt=ppt))
    assert (header.token, header.info, header.ppt) == (token, INFO, ppt)
