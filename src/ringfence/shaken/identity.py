"""The SIP Identity header field (RFC 8224 §4): parsing and rendering.

``Identity: <token>;info=<https://cert.example/sp.pem>;alg=ES256;ppt=shaken``

The token is a PASSporT in full form (``header.payload.signature``) or compact form
(``header..signature``, rebuilt from the SIP message). ``info`` is the certificate URL in angle
brackets; ``alg`` defaults to ES256; ``ppt`` names the PASSporT extension and must match the
token's own. Parameter values may be tokens or quoted strings; unknown parameters are kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final, NamedTuple

from ringfence.shaken.errors import IdentityTooLarge, MalformedIdentity
from ringfence.shaken.jws import ES256

#: Largest Identity value accepted: a full-form PASSporT with rich call data and parameters.
MAX_IDENTITY_CHARS: Final = 10240
_TOKEN_ALPHABET: Final = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
_PARAMS_CACHE_LIMIT: Final = 4096
_SIP_TOKEN_CHARS: Final = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-.!%*_+`'~"
)


class IdentityHeader(NamedTuple):
    """One parsed Identity header value. ``info`` is empty for a bare token (non-strict parse)."""

    token: str
    info: str = ""
    alg: str = ES256
    ppt: str | None = None
    params: Mapping[str, str] = MappingProxyType({})


def _scan_value(text: str, pos: int) -> tuple[str, int]:
    """A parameter value starting at ``pos``: ``<uri>``, ``"quoted"`` or a token."""
    if pos < len(text) and text[pos] in '<"':
        close = ">" if text[pos] == "<" else '"'
        end = text.find(close, pos + 1)
        if end < 0:
            raise MalformedIdentity(
                f"Identity parameter value opened with {text[pos]!r} never closes"
            )
        return text[pos + 1 : end], end + 1
    end = pos
    while end < len(text) and text[end] not in "; \t":
        end += 1
    value = text[pos:end]
    if not value or not _SIP_TOKEN_CHARS.issuperset(value):
        raise MalformedIdentity(f"Identity parameter value {value!r:.40} is not a SIP token")
    return value, end


def _parse_params(text: str) -> dict[str, str]:
    params: dict[str, str] = {}
    pos = 0
    while pos < len(text):
        if text[pos] in " \t":
            pos += 1
            continue
        if text[pos] != ";":
            raise MalformedIdentity(
                f"expected ';' before Identity parameter at {text[pos:][:30]!r}"
            )
        eq = text.find("=", pos)
        if eq < 0:
            raise MalformedIdentity(f"Identity parameter {text[pos + 1 :][:30]!r} has no value")
        name = text[pos + 1 : eq].strip().lower()
        if not name or not _SIP_TOKEN_CHARS.issuperset(name):
            raise MalformedIdentity(f"Identity parameter name {name!r:.30} is not a SIP token")
        start = eq + 1
        while start < len(text) and text[start] in " \t":
            start += 1
        value, pos = _scan_value(text, start)
        if name in params:
            raise MalformedIdentity(f"Identity parameter {name!r} appears twice")
        params[name] = value
    return params


#: (info, alg, ppt, params) by parameter string: parameters repeat per signer, so each
#: distinct string is parsed once.
_ParamFields = tuple[str, str, str | None, Mapping[str, str]]
_params_cache: dict[str, _ParamFields] = {}
_NO_PARAMS: Final[_ParamFields] = ("", ES256, None, MappingProxyType({}))


def _cached_params(text: str) -> _ParamFields:
    fields = _params_cache.get(text)
    if fields is None:
        params = _parse_params(text)
        info, alg, ppt = params.get("info", ""), params.get("alg", ES256), params.get("ppt")
        fields = (info, alg, ppt, MappingProxyType(params))
        if len(_params_cache) >= _PARAMS_CACHE_LIMIT:
            _params_cache.clear()
        _params_cache[text] = fields
    return fields


def parse_identity(value: str, *, strict: bool = True) -> IdentityHeader:
    """Parse an Identity header value; with ``strict=False`` a bare token is accepted too.

    Promises a token made only of base64url characters and dots, and, when strict, a non-empty
    ``info``. Raises :class:`IdentityTooLarge` or :class:`MalformedIdentity` otherwise.
    """
    if len(value) > MAX_IDENTITY_CHARS:
        raise IdentityTooLarge(
            f"Identity value of {len(value)} characters exceeds {MAX_IDENTITY_CHARS}"
        )
    text = value.strip()
    semi = text.find(";")
    token = (text if semi < 0 else text[:semi]).strip()
    if not token:
        raise MalformedIdentity("Identity value has no token before ';'")
    # One C pass: deleting the alphabet leaves exactly the offending characters.
    stray = token.encode("utf-8", "replace").translate(None, _TOKEN_ALPHABET)
    if stray:
        raise MalformedIdentity(f"Identity token holds {stray[:8]!r}, not base64url characters")
    info, alg, ppt, params = _cached_params(text[semi:]) if semi >= 0 else _NO_PARAMS
    if strict and not info:
        raise MalformedIdentity("Identity value lacks ';info=<certificate URL>'")
    return IdentityHeader(token, info, alg, ppt, params)


def render_identity(token: str, info: str, *, alg: str = ES256, ppt: str | None = None) -> str:
    """The Identity header value ``token;info=<info>;alg=ES256[;ppt=...]``."""
    rendered = f"{token};info=<{info}>;alg={alg}"
    return rendered if ppt is None else f"{rendered};ppt={ppt}"


def split_identity_values(value: str) -> list[str]:
    """Split a comma-combined Identity field into its values (commas inside ``<>``/quotes kept)."""
    if "," not in value:  # the usual single value: no character-by-character scan
        stripped = value.strip()
        return [stripped] if stripped else []
    values: list[str] = []
    depth_close = ""
    start = 0
    for i, ch in enumerate(value):
        if depth_close:
            if ch == depth_close:
                depth_close = ""
        elif ch == "<":
            depth_close = ">"
        elif ch == '"':
            depth_close = '"'
        elif ch == ",":
            values.append(value[start:i].strip())
            start = i + 1
    values.append(value[start:].strip())
    return [v for v in values if v]
