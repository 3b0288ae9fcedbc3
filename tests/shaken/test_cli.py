"""``ringfence shaken``: the command-line contract of issue 3 (sign, verify, keys, pki, bench)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ringfence.cli.shaken import app

runner = CliRunner()
ORIG = "15551234567"
DEST = "15557654321"


@pytest.fixture(scope="module")
def pki_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("cli-pki")
    result = runner.invoke(app, ["pki", "init", str(directory)])
    assert result.exit_code == 0, result.output
    return directory


def sign(pki_dir: Path, *extra: str) -> str:
    args = [
        "sign",
        "--key",
        str(pki_dir / "sp.key"),
        "--x5u",
        "https://certs.ringfence.test/sp.pem",
    ]
    result = runner.invoke(app, [*args, "--orig", ORIG, "--dest", DEST, "--attest", "A", *extra])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def verify(identity: str, *extra: str) -> tuple[int, dict[str, object]]:
    result = runner.invoke(app, ["verify", identity, *extra])
    return result.exit_code, json.loads(result.output)


def test_pki_init_writes_the_test_pki(pki_dir: Path) -> None:
    names = {p.name for p in pki_dir.iterdir()}
    assert {
        "sti-ca.pem",
        "sti-ica.pem",
        "sp.pem",
        "sp.key",
        "sp.pub",
        "crl.pem",
        "pki.json",
    } <= names


def test_sign_prints_full_form_identity(pki_dir: Path) -> None:
    identity = sign(pki_dir, "--origid", "abc", "--iat", "1800000000")
    token, _, params = identity.partition(";")
    assert token.count(".") == 2
    assert params == "info=<https://certs.ringfence.test/sp.pem>;alg=ES256;ppt=shaken"


def test_verify_valid_exits_0_with_json(pki_dir: Path) -> None:
    identity = sign(pki_dir, "--origid", "abc")
    code, out = verify(
        identity,
        "--orig",
        ORIG,
        "--dest",
        DEST,
        "--cert-file",
        str(pki_dir / "sp.pem"),
        "--ca-file",
        str(pki_dir / "sti-ca.pem"),
    )
    assert code == 0
    assert out["valid"] is True and out["verstat"] == "TN-Validation-Passed"
    assert (out["ppt"], out["attest"], out["origid"], out["error"]) == ("shaken", "A", "abc", None)
    assert "detail" in out


def test_verify_bare_token(pki_dir: Path) -> None:
    token = sign(pki_dir).split(";")[0]
    code, out = verify(token, "--cert-file", str(pki_dir / "sp.pem"))
    assert code == 0 and out["valid"] is True


@pytest.mark.parametrize(
    ("extra", "error"),
    [
        (["--orig", "15550000000"], "ORIG_MISMATCH"),
        (["--at", "{iat+120}"], "IAT_STALE"),
        (["--at", "{iat+120}", "--max-age", "600"], None),
        (["--at", "{iat-120}"], "IAT_FUTURE"),
    ],
)
def test_verify_invalid_exits_1(pki_dir: Path, extra: list[str], error: str | None) -> None:
    # Times relative to the token's own iat: a long test session must not move them.
    iat = int(time.time())
    identity = sign(pki_dir, "--iat", str(iat))
    clock = {"{iat+120}": str(iat + 120), "{iat-120}": str(iat - 120)}
    extra = [clock.get(arg, arg) for arg in extra]
    code, out = verify(identity, "--cert-file", str(pki_dir / "sp.pem"), *extra)
    assert (code, out["error"]) == ((0, None) if error is None else (1, error))


def test_verify_wrong_ca_is_untrusted(pki_dir: Path, tmp_path: Path) -> None:
    runner.invoke(app, ["pki", "init", str(tmp_path)])
    code, out = verify(
        sign(pki_dir),
        "--cert-file",
        str(pki_dir / "sp.pem"),
        "--ca-file",
        str(tmp_path / "sti-ca.pem"),
    )
    assert (code, out["error"], out["verstat"]) == (1, "CERT_UNTRUSTED", "TN-Validation-Failed")


@pytest.mark.parametrize("identity", ["", "not-a-token", "a.b.c;info=<http://x>", "e30.e30.e30"])
def test_verify_garbage_exits_1_with_a_code(pki_dir: Path, identity: str) -> None:
    code, out = verify(identity, "--cert-file", str(pki_dir / "sp.pem"))
    assert code == 1 and out["error"]


@pytest.mark.parametrize(
    "args",
    [
        ["verify"],
        ["verify", "x", "--cert-file", "/nonexistent.pem"],
        ["verify", "x", "--at", "yesterday"],
        [
            "sign",
            "--key",
            "/nonexistent.pem",
            "--x5u",
            "https://x/y",
            "--orig",
            "1",
            "--dest",
            "2",
            "--attest",
            "A",
        ],
    ],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    assert runner.invoke(app, args).exit_code == 2


def test_sign_rejects_bad_attest_as_usage_error(pki_dir: Path) -> None:
    args = ["sign", "--key", str(pki_dir / "sp.key"), "--x5u", "https://x/y.pem"]
    assert (
        runner.invoke(app, [*args, "--orig", ORIG, "--dest", DEST, "--attest", "D"]).exit_code == 2
    )


def test_keys_writes_a_pair(tmp_path: Path) -> None:
    result = runner.invoke(app, ["keys", "--out", str(tmp_path / "k")])
    assert result.exit_code == 0
    assert b"PRIVATE KEY" in (tmp_path / "k.key").read_bytes()
    assert b"PUBLIC KEY" in (tmp_path / "k.pub").read_bytes()


def test_module_runs_as_a_subprocess(pki_dir: Path) -> None:
    identity = sign(pki_dir)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ringfence.cli.shaken",
            "verify",
            identity,
            "--cert-file",
            str(pki_dir / "sp.pem"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["valid"] is True


def test_bench_json_has_the_four_figures() -> None:
    result = runner.invoke(app, ["bench", "--quick", "--json"])
    figures = json.loads(result.output)
    assert {"raw_verify_per_s", "verify_per_s", "raw_sign_per_s", "sign_per_s"} <= figures.keys()
    assert all(figures[k] > 0 for k in ("verify_per_s", "sign_per_s"))
