"""Certificate fetching and caching: https only, limits, HTTP cache headers, offline sources."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ringfence.shaken.certs import TrustPolicy
from ringfence.shaken.errors import CertExpired, CertUntrusted, X5uFetch, X5uScheme
from ringfence.shaken.pki import ShakenPki
from ringfence.shaken.x5u import (
    FetchResponse,
    StaticCertificates,
    X5uCache,
    cache_lifetime,
    require_https,
)

DATE = "Sun, 06 Nov 1994 08:49:37 GMT"


class FakeTransport:
    """Serves fixed responses and counts fetches: the tests need no network."""

    def __init__(self, body: bytes, headers: dict[str, str] | None = None, status: int = 200):
        self.response = FetchResponse(status, headers or {}, body)
        self.fetches = 0

    def fetch(self, url: str, *, timeout: float, max_bytes: int) -> FetchResponse:
        self.fetches += 1
        return self.response


@pytest.mark.parametrize(
    ("headers", "lifetime"),
    [
        ({}, 3600.0),
        ({"cache-control": "max-age=600"}, 600.0),
        ({"cache-control": "public, max-age=600, s-maxage=60"}, 60.0),
        ({"cache-control": "s-maxage=60, max-age=600"}, 60.0),
        ({"cache-control": "no-store"}, 0.0),
        ({"cache-control": "no-cache, max-age=600"}, 0.0),
        ({"cache-control": "max-age=abc"}, 0.0),
        ({"cache-control": "max-age=600", "age": "100"}, 500.0),
        ({"expires": "Sun, 06 Nov 1994 09:49:37 GMT", "date": DATE}, 3600.0),
        ({"expires": "0", "date": DATE}, 0.0),
        (
            {
                "expires": "Sun, 06 Nov 1994 09:49:37 GMT",
                "date": DATE,
                "cache-control": "max-age=5",
            },
            5.0,
        ),
    ],
)
def test_cache_lifetime(headers: dict[str, str], lifetime: float) -> None:
    assert cache_lifetime(headers) == lifetime


@given(
    st.dictionaries(
        st.sampled_from(["cache-control", "expires", "date", "age"]), st.text(max_size=30)
    )
)
def test_fuzzed_cache_headers_give_a_non_negative_lifetime(headers: dict[str, str]) -> None:
    assert cache_lifetime(headers) >= 0.0


@pytest.mark.parametrize(
    "url",
    ["http://certs.example.org/sp.pem", "ftp://x/y", "https:///nohost", "file:///etc/passwd", ""],
)
def test_only_https_urls(url: str) -> None:
    with pytest.raises(X5uScheme):
        require_https(url)


def _cache(pki: ShakenPki, transport: FakeTransport, **kwargs: float) -> X5uCache:
    return X5uCache(TrustPolicy([pki.root]), transport, **kwargs)  # type: ignore[arg-type]


def test_cache_honours_max_age(pki: ShakenPki, now: int) -> None:
    transport = FakeTransport(pki.chain_pem(), {"cache-control": "max-age=60"})
    cache = _cache(pki, transport)
    cache.certified_key(pki.x5u, now)
    cache.certified_key(pki.x5u, now + 59)
    assert transport.fetches == 1
    cache.certified_key(pki.x5u, now + 61)
    assert transport.fetches == 2


def test_no_store_is_fetched_every_time(pki: ShakenPki, now: int) -> None:
    transport = FakeTransport(pki.chain_pem(), {"cache-control": "no-store"})
    cache = _cache(pki, transport)
    cache.certified_key(pki.x5u, now)
    cache.certified_key(pki.x5u, now)
    assert transport.fetches == 2


def test_cache_never_outlives_the_certificate(pki: ShakenPki) -> None:
    transport = FakeTransport(pki.chain_pem(), {"cache-control": "max-age=315360000"})
    cache = _cache(pki, transport)
    not_after = pki.sp_cert.not_valid_after_utc.timestamp()
    cache.certified_key(pki.x5u, not_after - 10)
    with pytest.raises(CertExpired):
        cache.certified_key(pki.x5u, not_after + 10)
    assert transport.fetches == 2  # the entry had expired with the certificate


@pytest.mark.parametrize(
    ("transport", "error"),
    [
        (FakeTransport(b"", status=404), X5uFetch),
        (FakeTransport(b"x" * 70_000), X5uFetch),
    ],
)
def test_fetch_failures(
    pki: ShakenPki, now: int, transport: FakeTransport, error: type[Exception]
) -> None:
    with pytest.raises(error):
        _cache(pki, transport).certified_key(pki.x5u, now)


def test_http_x5u_is_never_fetched(pki: ShakenPki, now: int) -> None:
    transport = FakeTransport(pki.chain_pem())
    with pytest.raises(X5uScheme):
        _cache(pki, transport).certified_key("http://certs.example.org/sp.pem", now)
    assert transport.fetches == 0


def test_lru_bound(pki: ShakenPki, now: int) -> None:
    transport = FakeTransport(pki.chain_pem())
    cache = X5uCache(TrustPolicy([pki.root]), transport, max_entries=2)
    for name in ("a", "b", "c", "a"):
        cache.certified_key(f"https://certs.example.org/{name}.pem", now)
    assert transport.fetches == 4


def test_static_directory_resolves_by_file_name(pki: ShakenPki, now: int, tmp_path: Path) -> None:
    pki.write(tmp_path)
    source = StaticCertificates(TrustPolicy([pki.root]), directory=tmp_path)
    assert source.certified_key("https://anything.example/sp.pem", now).tn_auth is not None
    with pytest.raises(X5uFetch):
        source.certified_key("https://anything.example/missing.pem", now)


def test_static_remembers_failures_with_fresh_exceptions(pki: ShakenPki, now: int) -> None:
    source = StaticCertificates(TrustPolicy([ShakenPki.create().root]), fallback=pki.chain_pem())
    errors = []
    for _ in range(2):
        with pytest.raises(CertUntrusted) as info:
            source.certified_key(pki.x5u, now)
        errors.append(info.value)
    assert errors[0] is not errors[1]


def test_static_checks_time_on_every_use(pki: ShakenPki) -> None:
    source = StaticCertificates(TrustPolicy([pki.root]), {pki.x5u: pki.chain_pem()})
    later = dt.datetime(2100, 1, 1, tzinfo=dt.UTC).timestamp()
    with pytest.raises(CertExpired):
        source.certified_key(pki.x5u, later)
