"""SIP screening throughput: INVITEs answered per second on one core, and p99 response time.

sipp (Debian ``sip-tester``) is the load generator: it places calls at fixed rates, each an
INVITE with a fresh Identity header signed by the test PKI, and expects a 302. The server is a
real ``ringfence serve`` (SQLite registry, ``--shaken-pki``: every call is verified against a
cached certificate, then screened), pinned to one CPU; sipp runs on the other. The rate steps
up until 1% of calls fail (timeout 2 s or an unexpected answer); the figure is the highest
achieved rate under that bound, with the p99 response time sipp measured at that rate.

Kamailio (Debian ``kamailio``), answering the same INVITEs with a static 302 from a minimal
config on one worker process and the same CPU, is measured in the same run as the reference
for a C server on this machine; it is skipped (with a message) when not installed.
"""

from __future__ import annotations

import csv
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from ringfence.shaken.pki import ShakenPki
from ringfence.shaken.signer import Signer

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "tests" / "sip" / "scenarios" / "bench_invite.xml"
SERVE = "import typer; from ringfence.cli.store import serve; typer.run(serve)"
STEP_S = 3.0
KAMAILIO_CFG = """#!KAMAILIO
debug=0
log_stderror=yes
children=1
tcp_children=1
disable_tcp=yes
listen=udp:127.0.0.1:{port}
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "textops.so"
request_route {{
    if (is_method("ACK")) {{ exit; }}
    if (is_method("INVITE")) {{
        append_to_reply("Contact: <sip:$rU@127.0.0.1;user=phone>\\r\\n");
        sl_send_reply("302", "Moved Temporarily");
        exit;
    }}
    sl_send_reply("200", "OK");
}}
"""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pin(cpu: int) -> list[str]:
    """A ``taskset`` prefix pinning a command to ``cpu`` (nothing where taskset is missing)."""
    return ["taskset", "-c", str(cpu)] if shutil.which("taskset") and os.cpu_count() else []


def _wait_udp(port: int, timeout: float = 30.0) -> None:
    """Wait until an OPTIONS on ``port`` is answered."""
    probe = (
        b"OPTIONS sip:ping@127.0.0.1 SIP/2.0\r\n"
        b"Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKp;rport\r\n"
        b"From: <sip:b@127.0.0.1>;tag=1\r\nTo: <sip:ping@127.0.0.1>\r\nCall-ID: ping\r\n"
        b"CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    )
    deadline = time.monotonic() + timeout
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.5)
        while time.monotonic() < deadline:
            sock.sendto(probe, ("127.0.0.1", port))
            try:
                sock.recv(4096)
                return
            except TimeoutError:
                continue
    raise RuntimeError(f"no SIP server answered on udp 127.0.0.1:{port}")


def _calls_file(path: Path, signer: Signer, count: int, offset: int) -> None:
    """``count`` calls with distinct numbers and fresh Identity headers (sipp -inf format)."""
    with path.open("w") as f:
        f.write("SEQUENTIAL\n")
        for i in range(offset, offset + count):
            caller, callee = f"+86138{i:08d}", f"+86139{i:08d}"
            identity = signer.identity(signer.sign(caller, callee, "A"))
            parts = identity.split(";")
            assert len(parts) == 4, identity
            f.write(";".join([caller, callee, *parts]) + "\n")


def _run_sipp(port: int, rate: int, calls: Path, count: int, work: Path) -> dict[str, float]:
    """One step: ``count`` calls at ``rate``/s; achieved rate, failure share and p99 (ms)."""
    for old in work.glob("bench_invite_*"):
        old.unlink()
    started = time.monotonic()
    subprocess.run(
        [*_pin(1), "sipp", "-sf", str(SCENARIO), "-inf", str(calls), "-r", str(rate),
         "-m", str(count), "-t", "u1", "-i", "127.0.0.1", "-p", "0", "-nostdin",
         "-timeout", "60", "-trace_rtt", "-rtt_freq", "1", "-trace_stat", "-fd", "1",
         "-timer_resol", "1", f"127.0.0.1:{port}"],
        cwd=work, capture_output=True, timeout=120, check=False,
    )  # fmt: skip
    # The answered rate is over the span of the answers sipp timed (not sipp's start-up).
    stamps, times = [], []
    for rtt in work.glob("bench_invite_*_rtt.csv"):
        with rtt.open() as f:
            for row in csv.reader(f, delimiter=";"):
                if row and row[0][:1].isdigit():
                    stamps.append(float(row[0]))
                    times.append(float(row[1]))
    ok = len(times)
    elapsed = (max(stamps) - min(stamps)) / 1000 if ok > 1 else time.monotonic() - started
    times.sort()
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))] if times else float("nan")
    return {"rate": ok / elapsed, "failed": 1 - ok / count, "p99_ms": p99}


def _step_up(
    port: int, rates: list[int], make_calls: Callable[[Path, int], None], work: Path
) -> dict[str, float]:
    """Step the offered rate up; the best achieved rate under 1% failures, and its p99."""
    best = {"rate": 0.0, "failed": 1.0, "p99_ms": float("nan"), "offered": 0.0}
    for rate in rates:
        count = int(rate * STEP_S)
        calls = work / f"calls-{rate}.csv"
        make_calls(calls, count)
        step = _run_sipp(port, rate, calls, count, work)
        print(
            f"  offered {rate:6,}/s: answered {step['rate']:8,.0f}/s, failed "
            f"{step['failed']:6.2%}, p99 {step['p99_ms']:7.2f} ms",
            flush=True,
        )
        if step["failed"] >= 0.01:
            break
        best = {**step, "offered": float(rate)}
    return best


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def main(quick: bool = False) -> dict[str, float]:
    """Measure ringfence and (when installed) Kamailio; print and return the figures."""
    if shutil.which("sipp") is None:
        print("sipp not installed (apt-get install sip-tester): SIP benchmark skipped")
        return {}
    rates = [500, 1000] if quick else [1000, 2000, 3000, 4000, 5000, 6000]
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="bench-sip-") as tmp:
        work = Path(tmp)
        pki = ShakenPki.create()
        pki.write(work / "pki")
        signer = Signer(pki.sp_key, pki.x5u)
        offset = [0]

        def make_calls(path: Path, count: int) -> None:
            _calls_file(path, signer, count, offset[0])
            offset[0] += count

        port = _free_port()
        server = subprocess.Popen(
            [*_pin(0), sys.executable, "-c", SERVE, "--db", f"sqlite:///{work / 'r.db'}",
             "--port", str(_free_port()), "--sip-port", str(port), "--shaken-pki",
             str(work / "pki"), "--no-access-log"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            _wait_udp(port)
            print("ringfence serve (screening + Identity verification per call):")
            ours = _step_up(port, rates, make_calls, work)
        finally:
            _stop(server)
        figures.update({f"ringfence_{k}": v for k, v in ours.items()})
        if shutil.which("kamailio") is None:
            print("kamailio not installed (apt-get install kamailio): reference skipped")
        else:
            kport = _free_port()
            cfg = work / "kamailio.cfg"
            cfg.write_text(KAMAILIO_CFG.format(port=kport))
            kamailio = subprocess.Popen(
                [*_pin(0), "kamailio", "-DD", "-E", "-f", str(cfg), "-m", "64", "-M", "8",
                 "-P", str(work / "k.pid"), "-Y", str(work)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            try:
                _wait_udp(kport)
                print("kamailio (static 302, one worker):")
                theirs = _step_up(kport, rates, make_calls, work)
            finally:
                _stop(kamailio)
            figures.update({f"kamailio_{k}": v for k, v in theirs.items()})
            if theirs["rate"]:
                figures["ratio"] = ours["rate"] / theirs["rate"]
    print(
        f"ringfence: {figures.get('ringfence_rate', 0):,.0f} INVITEs/s at <1% failed, "
        f"p99 {figures.get('ringfence_p99_ms', float('nan')):.2f} ms (goal ≥ 5,000/s, p99 < 20 ms)"
    )
    if "ratio" in figures:
        print(
            f"kamailio:  {figures['kamailio_rate']:,.0f}/s, "
            f"p99 {figures['kamailio_p99_ms']:.2f} ms;"
            f" ratio ringfence/kamailio {figures['ratio']:.2f}"
        )
    return figures


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
