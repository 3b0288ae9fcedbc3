"""Where a verifier gets the certificate a PASSporT names in ``x5u``.

Two :class:`CertificateSource` implementations share one contract, ``certified_key(x5u, now)``:

- :class:`X5uCache` fetches over https through an injectable :class:`Transport` (the real one
  is :class:`HttpsTransport`; tests pass a fake), with a size limit and a time limit, and keeps
  each certified key as long as the HTTP cache headers allow, never past the certificate's
  own notAfter.
- :class:`StaticCertificates` serves certificates given as files (a mapping x5u → PEM, a
  directory, or one certificate for every x5u) for offline use: replay, tests, the CLI.

Both certify a chain once (:class:`~ringfence.shaken.certs.TrustPolicy`) and afterwards only
check the validity window, which keeps the per-call cost to a dictionary lookup.
"""

from __future__ import annotations

import contextlib
import http.client
import ssl
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Final, Protocol
from urllib.parse import urlsplit

from ringfence.shaken.certs import CertifiedKey, TrustPolicy, load_certificates
from ringfence.shaken.errors import ShakenError, X5uFetch, X5uScheme

DEFAULT_TIMEOUT: Final = 2.0
DEFAULT_MAX_BYTES: Final = 64 * 1024
#: How long a certificate is kept when the server sends no cache headers at all.
DEFAULT_TTL: Final = 3600.0


def require_https(url: str) -> None:
    """Raise :class:`X5uScheme` unless ``url`` is an absolute https URL with a host."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "https" or not parts.hostname:
        raise X5uScheme(f"certificate URL {url!r:.120} is not https (RFC 8226 / ATIS-1000074)")


@dataclass(frozen=True, slots=True)
class FetchResponse:
    """An HTTP response: status, headers with lower-case names, body."""

    status: int
    headers: Mapping[str, str]
    body: bytes


class Transport(Protocol):
    """Fetches one URL. Raises :class:`X5uFetch` on network failure, timeout or oversize body."""

    def fetch(self, url: str, *, timeout: float, max_bytes: int) -> FetchResponse:
        """GET ``url`` within ``timeout`` seconds, reading at most ``max_bytes`` of body."""
        ...


class HttpsTransport:
    """The real transport: ``http.client`` over TLS with the system trust store, no redirects."""

    def __init__(self, context: ssl.SSLContext | None = None) -> None:
        self.context = context or ssl.create_default_context()

    def fetch(self, url: str, *, timeout: float, max_bytes: int) -> FetchResponse:
        """GET ``url``; the deadline covers connecting and the whole body, not each read."""
        require_https(url)
        parts = urlsplit(url)
        deadline = time.monotonic() + timeout
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        conn = http.client.HTTPSConnection(
            parts.hostname or "", parts.port, timeout=timeout, context=self.context
        )
        try:
            conn.request("GET", path, headers={"Accept": "application/pem-certificate-chain"})
            resp = conn.getresponse()
            chunks: list[bytes] = []
            size = 0
            while chunk := resp.read(8192):
                size += len(chunk)
                if size > max_bytes:
                    raise X5uFetch(f"certificate at {url} exceeds {max_bytes} bytes")
                if time.monotonic() > deadline:
                    raise X5uFetch(f"certificate at {url} took longer than {timeout} s")
                chunks.append(chunk)
            headers = {k.lower(): v for k, v in resp.getheaders()}
            return FetchResponse(resp.status, headers, b"".join(chunks))
        except (OSError, http.client.HTTPException) as exc:
            raise X5uFetch(f"cannot fetch certificate at {url}: {exc}") from None
        finally:
            conn.close()


def cache_lifetime(headers: Mapping[str, str], default_ttl: float = DEFAULT_TTL) -> float:
    """Seconds a response may be reused (RFC 9111): no-store/no-cache → 0, then s-maxage,
    max-age, Expires minus Date; ``Age`` is subtracted; ``default_ttl`` when none applies."""
    directives: dict[str, str] = {}
    for item in headers.get("cache-control", "").split(","):
        name, _, value = item.strip().partition("=")
        if name:
            directives[name.lower()] = value.strip().strip('"')
    if "no-store" in directives or "no-cache" in directives:
        return 0.0
    lifetime: float | None = None
    for name in ("s-maxage", "max-age"):
        if name in directives:
            try:
                lifetime = float(int(directives[name]))
            except ValueError:
                lifetime = 0.0  # a malformed max-age means stale (RFC 9111 §4.2.1)
            break
    if lifetime is None and "expires" in headers:
        try:
            expires = parsedate_to_datetime(headers["expires"]).timestamp()
            date = parsedate_to_datetime(headers["date"]).timestamp() if "date" in headers else None
        except (TypeError, ValueError):
            return 0.0  # invalid Expires means already expired (RFC 9111 §5.3)
        lifetime = expires - (date if date is not None else time.time())
    if lifetime is None:
        lifetime = default_ttl
    with contextlib.suppress(ValueError):
        lifetime -= float(headers.get("age", "0"))
    return max(lifetime, 0.0)


class CertificateSource(Protocol):
    """Gives the certified key for an ``x5u`` at a time, or raises a :class:`ShakenError`."""

    def certified_key(self, x5u: str, now: float) -> CertifiedKey:
        """The key to verify tokens that name ``x5u``, valid at ``now``."""
        ...


@dataclass(slots=True)
class _Entry:
    key: CertifiedKey
    expires: float


class X5uCache:
    """Fetching source with an LRU cache bounded by HTTP freshness and certificate validity."""

    def __init__(
        self,
        policy: TrustPolicy,
        transport: Transport | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_bytes: int = DEFAULT_MAX_BYTES,
        default_ttl: float = DEFAULT_TTL,
        max_entries: int = 10_000,
    ) -> None:
        self.policy = policy
        self.transport: Transport = transport or HttpsTransport()
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.default_ttl = default_ttl
        self.max_entries = max_entries
        self._entries: OrderedDict[str, _Entry] = OrderedDict()

    def certified_key(self, x5u: str, now: float) -> CertifiedKey:
        """The cached key when still fresh, else fetch, certify and cache it."""
        entry = self._entries.get(x5u)
        if entry is not None and now < entry.expires:
            self._entries.move_to_end(x5u)
            key = entry.key
            if not key.not_before <= now <= key.not_after:
                key.check_time(now)  # raises, naming the bound that was crossed
            return key
        require_https(x5u)
        response = self.transport.fetch(x5u, timeout=self.timeout, max_bytes=self.max_bytes)
        if len(response.body) > self.max_bytes:
            raise X5uFetch(f"certificate at {x5u} exceeds {self.max_bytes} bytes")
        if response.status != 200:
            raise X5uFetch(f"certificate at {x5u}: HTTP status {response.status}")
        key = self.policy.certify(load_certificates(response.body))
        key.check_time(now)
        expires = min(now + cache_lifetime(response.headers, self.default_ttl), key.not_after)
        if expires > now:
            self._entries[x5u] = _Entry(key, expires)
            self._entries.move_to_end(x5u)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return key


class StaticCertificates:
    """Offline source: certificates given as bytes or files, certified once, errors remembered.

    ``certificates`` maps an x5u to PEM/DER bytes or a file path; ``directory`` resolves an x5u
    to the file named like the last segment of its path; ``fallback`` answers any x5u
    (``--cert-file``). Lookups go in that order.
    """

    def __init__(
        self,
        policy: TrustPolicy,
        certificates: Mapping[str, bytes | Path] | None = None,
        *,
        directory: Path | None = None,
        fallback: bytes | Path | None = None,
    ) -> None:
        self.policy = policy
        self.certificates = dict(certificates or {})
        self.directory = directory
        self.fallback = fallback
        self._results: dict[str, CertifiedKey | ShakenError] = {}
        self.max_entries = 10_000

    def _locate(self, x5u: str) -> bytes | Path:
        if x5u in self.certificates:
            return self.certificates[x5u]
        if self.directory is not None:
            name = urlsplit(x5u).path.rsplit("/", 1)[-1]
            candidate = self.directory / name
            if name and candidate.is_file():
                return candidate
        if self.fallback is not None:
            return self.fallback
        raise X5uFetch(f"no certificate configured for {x5u!r:.120}")

    def _certify(self, x5u: str) -> CertifiedKey:
        source = self._locate(x5u)
        if isinstance(source, Path):
            try:
                source = source.read_bytes()
            except OSError as exc:
                raise X5uFetch(f"cannot read certificate for {x5u}: {exc}") from None
        return self.policy.certify(load_certificates(source))

    def certified_key(self, x5u: str, now: float) -> CertifiedKey:
        """The certified key for ``x5u``; a certificate that failed once fails the same way."""
        result = self._results.get(x5u)
        if result is None:
            try:
                result = self._certify(x5u)
            except ShakenError as exc:
                result = exc
            if len(self._results) >= self.max_entries:
                self._results.clear()  # only hostile traffic names this many distinct x5u
            self._results[x5u] = result
        if isinstance(result, ShakenError):
            # A fresh instance each time: re-raising one object would grow its traceback.
            raise type(result)(str(result))
        if not result.not_before <= now <= result.not_after:
            result.check_time(now)  # raises, naming the bound that was crossed
        return result
