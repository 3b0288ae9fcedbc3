"""SIP over UDP and TCP on asyncio (RFC 3261 §18): messages in, responses out.

UDP: one datagram is one message. The loop watches the socket and, each time it is readable,
the endpoint drains it (up to :data:`UDP_BURST` datagrams), has the server answer them as one
batch (:meth:`SipServer.handle_batch`: the INVITEs verified together, then screened together)
and sends each response straight back with ``sendto``: one loop iteration per burst instead
of one per datagram, which is what asyncio's datagram transport costs (several times the
parsing of an INVITE). A response the kernel cannot take at once (send buffer full) is
dropped like a lost datagram: the client retransmits, and a retransmitted INVITE is answered
from the transaction cache.

TCP: messages are framed by their Content-Length (required on streams); a connection that
breaks framing (no header end within the size limit, a missing or bad Content-Length, a
message over the limit) gets a 400 when one can be addressed and is closed, since nothing
after it can be trusted. RFC 5626 keep-alives are answered (CRLFCRLF ping → CRLF pong) and
idle connections are closed after :data:`IDLE_TIMEOUT_S`.

Both listeners bind with ``SO_REUSEPORT``: several ``ringfence serve`` processes on one host
share the SIP port and the kernel spreads calls among them (a datagram flow always reaches
the same process, so retransmissions meet their transaction).
"""

from __future__ import annotations

import asyncio
import logging
import re
import socket
from dataclasses import dataclass, field
from typing import Any, Final, cast

from ringfence.sip.message import MAX_MESSAGE_BYTES, SipParseError
from ringfence.sip.server import Address, SipServer

log = logging.getLogger("ringfence.sip")

IDLE_TIMEOUT_S: Final = 120.0
#: Datagrams read, and answered as one batch, per wake-up before the loop gets a turn (at
#: ~200 µs per screened INVITE, 16 keep an HTTP request or a timer waiting a few milliseconds).
UDP_BURST: Final = 16
#: Read size: any datagram; one over MAX_MESSAGE_BYTES is refused by the parser whole.
UDP_MAX_DATAGRAM: Final = 65535
_HEADER_END: Final = b"\r\n\r\n"
_PING: Final = b"\r\n\r\n"
_CONTENT_LENGTH: Final = re.compile(rb"\r\n(?:content-length|l)[ \t]*:[ \t]*([^\r]*)", re.I)


class UdpEndpoint:
    """The UDP socket of one :class:`SipServer`, drained by the loop whenever it is readable."""

    def __init__(self, server: SipServer, sock: socket.socket) -> None:
        self.server = server
        self.sock = sock
        #: Responses dropped because the socket's send buffer was full.
        self.dropped = 0
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(sock.fileno(), self._readable)

    def _readable(self) -> None:
        recvfrom = self.sock.recvfrom
        batch: list[tuple[bytes, Address]] = []
        senders: list[Any] = []  # where each answer goes, as recvfrom gave it
        for _ in range(UDP_BURST):  # then let the loop serve its other work (HTTP, timers)
            try:
                data, addr = recvfrom(UDP_MAX_DATAGRAM)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as exc:  # e.g. an ICMP error reported on the socket
                log.debug("SIP UDP receive error: %s", exc)
                break
            if len(data) <= 4 and not data.strip():
                continue  # CRLF keep-alive
            batch.append((data, addr if len(addr) == 2 else addr[:2]))
            senders.append(addr)
        if not batch:
            return
        sendto = self.sock.sendto
        for response, addr in zip(self.server.handle_batch(batch), senders, strict=True):
            if response is None:
                continue
            try:
                sendto(response, addr)
            except (BlockingIOError, InterruptedError):
                self.dropped += 1
            except OSError as exc:  # e.g. no route back to the source
                log.debug("SIP UDP send to %s failed: %s", addr, exc)

    def close(self) -> None:
        """Stop reading and close the socket."""
        if self.sock.fileno() >= 0:
            self._loop.remove_reader(self.sock.fileno())
            self.sock.close()


def frame(buffer: bytearray) -> bytes | None:
    """Take one complete message off the front of ``buffer`` (None: more bytes needed).

    Raises :class:`SipParseError` when the stream cannot be framed any more.
    """
    end = buffer.find(_HEADER_END)
    if end < 0:
        if len(buffer) > MAX_MESSAGE_BYTES:
            raise SipParseError(f"no header end within {MAX_MESSAGE_BYTES} bytes")
        return None
    match = _CONTENT_LENGTH.search(buffer, 0, end + 2)
    if match is None:
        raise SipParseError("Content-Length is required on a stream transport")
    declared = match.group(1).strip()
    if not declared.isdigit() or len(declared) > 6:
        raise SipParseError(f"malformed Content-Length {declared[:20]!r}")
    total = end + 4 + int(declared)
    if total > MAX_MESSAGE_BYTES:
        raise SipParseError(f"message of {total} bytes exceeds {MAX_MESSAGE_BYTES}")
    if len(buffer) < total:
        return None
    message = bytes(buffer[:total])
    del buffer[:total]
    return message


@dataclass
class TcpConnection(asyncio.Protocol):
    """One TCP connection: frames messages, answers each on the same connection."""

    server: SipServer
    transport: asyncio.Transport | None = None
    source: Address = ("", 0)
    buffer: bytearray = field(default_factory=bytearray)
    idle: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        peer = transport.get_extra_info("peername")
        self.source = (str(peer[0]), int(peer[1]))
        self._touch()

    def _touch(self) -> None:
        if self.idle is not None:
            self.idle.cancel()
        self.idle = asyncio.get_running_loop().call_later(IDLE_TIMEOUT_S, self._close)

    def _close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.idle is not None:
            self.idle.cancel()
        self.transport = None

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        self._touch()
        while self.transport is not None:
            while buffer.startswith(_PING):  # RFC 5626 §4.4.1 keep-alive
                del buffer[:4]
                self.transport.write(b"\r\n")
            while buffer.startswith(b"\r\n"):  # stray CRLF between messages (RFC 3261 §7.5)
                del buffer[:2]
            try:
                message = frame(buffer)
            except SipParseError as exc:
                self._broken(exc)
                return
            if message is None:
                return
            response = self.server.handle(message, self.source, stream=True)
            if response is not None:
                self.transport.write(response)

    def _broken(self, exc: SipParseError) -> None:
        """Framing is lost: answer what can be answered, then close."""
        assert self.transport is not None
        end = self.buffer.find(_HEADER_END)
        if end >= 0:
            # Let the parser judge the header block: it answers 400 when it can be addressed.
            response = self.server.handle(bytes(self.buffer[: end + 4]), self.source, stream=True)
            if response is not None:
                self.transport.write(response)
        log.debug("SIP TCP connection from %s:%d closed: %s", *self.source, exc.reason)
        self.buffer.clear()
        self.transport.close()


@dataclass
class SipListener:
    """The UDP endpoint and TCP server of one :class:`SipServer`."""

    udp: UdpEndpoint
    tcp: asyncio.Server
    port: int

    def close(self) -> None:
        """Stop listening (open TCP connections end with the loop)."""
        self.udp.close()
        self.tcp.close()


async def _udp_socket(host: str, port: int) -> socket.socket:
    """A non-blocking UDP socket bound to ``host:port`` with ``SO_REUSEPORT``."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_DGRAM, proto=socket.IPPROTO_UDP)
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        # A burst of INVITEs must queue in the kernel, not be dropped while we screen.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        sock.bind(address)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


async def start(server: SipServer, host: str = "127.0.0.1", port: int = 5060) -> SipListener:
    """Listen on UDP and TCP ``host:port`` (``port`` 0: one free port for both)."""
    loop = asyncio.get_running_loop()
    tcp = await loop.create_server(
        lambda: TcpConnection(server), host, port, reuse_port=True, backlog=1024
    )
    bound = int(tcp.sockets[0].getsockname()[1])
    try:
        udp = UdpEndpoint(server, await _udp_socket(host, bound))
    except OSError:
        tcp.close()
        raise
    return SipListener(udp, tcp, bound)
