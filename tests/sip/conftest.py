"""A SIP server on a free loopback port, run by an asyncio loop in a background thread."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

import pytest

from ringfence.sip.server import SipServer
from ringfence.sip.transport import SipListener, start

SCENARIOS = Path(__file__).parent / "scenarios"


def require_tool(name: str, package: str) -> str:
    """The path of ``name``; skips the test saying how to install it (fails under CI=true)."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} not on PATH: apt-get install {package} to run the SIP peer tests"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return path


@dataclass
class Running:
    """A server listening on ``port`` (UDP and TCP) until the fixture ends."""

    server: SipServer
    port: int

    def udp(self, data: bytes, timeout: float = 2.0) -> bytes | None:
        """Send one datagram; the response, or None when none came within ``timeout``."""
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(timeout)
            sock.sendto(data, ("127.0.0.1", self.port))
            try:
                return sock.recv(65535)
            except TimeoutError:
                return None


@pytest.fixture
def run_server() -> Iterator[Callable[[SipServer], Running]]:
    """Start servers on their own loop thread; all are stopped at teardown."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="sip-test-loop", daemon=True)
    thread.start()
    listeners: list[SipListener] = []

    def run(server: SipServer) -> Running:
        future: Future[SipListener] = asyncio.run_coroutine_threadsafe(
            start(server, "127.0.0.1", 0), loop
        )
        listener = future.result(timeout=10)
        listeners.append(listener)
        return Running(server, listener.port)

    yield run
    for listener in listeners:
        loop.call_soon_threadsafe(listener.close)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=10)
