"""Real ``ringfence serve`` processes: started on a free loopback port, stopped (or killed)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from ringfence.cli.store import tokens_app

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

# The serve command as the lead mounts it (``ringfence serve``), run from its Typer function.
SERVE = "import typer; from ringfence.cli.store import serve; typer.run(serve)"
START_TIMEOUT_S = 30.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Server:
    """One ``serve`` process and an HTTP client for it."""

    args: list[str]
    log: Path
    process: subprocess.Popen[bytes] | None = None
    client: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=10))
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        self.port = free_port()
        # SIP on a free port of its own: 5060 may be taken by a SIP peer (sipp binds it)
        sip = [] if "--sip-port" in self.args else ["--sip-port", str(free_port())]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-c", SERVE, *self.args, *sip, "--port", str(self.port)],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"serve exited: {self.log.read_text()[-2000:]}")
            try:
                if self.client.get(f"{self.url}/healthz").status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError(f"serve did not start in {START_TIMEOUT_S} s")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, nothing but what was committed."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def post(self, path: str, token: str, body: object) -> httpx.Response:
        return self.client.post(
            self.url + path, json=body, headers={"Authorization": f"Bearer {token}"}
        )

    def get(self, path: str, token: str, **params: str) -> httpx.Response:
        return self.client.get(
            self.url + path, params=params, headers={"Authorization": f"Bearer {token}"}
        )


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[list[Server]]:
    """Servers the test starts; all stopped at the end."""
    started: list[Server] = []
    yield started
    for server in started:
        server.stop()


def token(db: str, role: str, *extra: str) -> str:
    """A bearer token made by ``ringfence tokens create``."""
    result = CliRunner().invoke(tokens_app, ["create", "--role", role, "--db", db, *extra])
    assert result.exit_code == 0, result.output
    return result.output.strip()
