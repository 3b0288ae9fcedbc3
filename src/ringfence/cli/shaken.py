"""``ringfence shaken``: PASSporT and Identity tools (keys, sign, verify, pki init, bench).

The ``sign`` and ``verify`` interfaces are a fixed contract (issue 3): other tools drive them.
``verify`` prints one JSON object and exits 0 when valid, 1 when not, 2 on usage errors.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer
from cryptography import x509

from ringfence.core.errors import InvalidNumber
from ringfence.shaken import bench as shaken_bench
from ringfence.shaken.certs import TrustPolicy, load_certificates, load_crls
from ringfence.shaken.errors import ShakenError
from ringfence.shaken.pki import (
    DEFAULT_SPC,
    DEFAULT_X5U,
    ShakenPki,
    generate_key,
    load_private_key,
    private_key_pem,
    public_key_pem,
)
from ringfence.shaken.signer import Signer
from ringfence.shaken.verifier import DEFAULT_MAX_AGE, Verifier
from ringfence.shaken.x5u import CertificateSource, StaticCertificates, X5uCache

app = typer.Typer(
    name="shaken",
    help="STIR/SHAKEN: key pairs, signing and verifying Identity headers, a test PKI.",
    no_args_is_help=True,
)
pki_app = typer.Typer(help="A test PKI (STI-CA root, intermediate, SP certificate).")
app.add_typer(pki_app, name="pki")


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise typer.BadParameter(f"cannot read {what} {path}: {exc.strerror}") from None


@app.command()
def keys(
    out: Annotated[
        Path | None,
        typer.Option(help="Write OUT.key (private, PKCS#8) and OUT.pub instead of printing."),
    ] = None,
) -> None:
    """Make an ECDSA P-256 key pair (the ES256 keys of STIR/SHAKEN)."""
    key = generate_key()
    if out is None:
        typer.echo((private_key_pem(key) + public_key_pem(key)).decode(), nl=False)
        return
    private, public = out.with_name(out.name + ".key"), out.with_name(out.name + ".pub")
    private.write_bytes(private_key_pem(key))
    private.chmod(0o600)
    public.write_bytes(public_key_pem(key))
    typer.echo(f"{private}\n{public}")


@app.command()
def sign(
    key: Annotated[Path, typer.Option(help="PEM private key (P-256).")],
    x5u: Annotated[str, typer.Option(help="https URL of the signing certificate.")],
    orig: Annotated[str, typer.Option(help="Calling number.")],
    dest: Annotated[str, typer.Option(help="Called number.")],
    attest: Annotated[str, typer.Option(help="Attestation level: A, B or C.")],
    origid: Annotated[
        str | None, typer.Option(help="Origination id (default: a new UUID).")
    ] = None,
    iat: Annotated[
        int | None, typer.Option(help="Issued-at, epoch seconds (default: now).")
    ] = None,
) -> None:
    """Print a SHAKEN Identity header value: token;info=<x5u>;alg=ES256;ppt=shaken."""
    try:
        private = load_private_key(_read(key, "key"))
    except ValueError as exc:
        raise typer.BadParameter(f"{key}: {exc}", param_hint="--key") from None
    try:
        signer = Signer(private, x5u)
        token = signer.sign(orig, dest, attest, origid=origid, iat=iat)
    except (ShakenError, InvalidNumber) as exc:
        raise typer.BadParameter(str(exc)) from None
    typer.echo(signer.identity(token))


def _certificate_source(
    cert_file: Path | None, ca_files: list[Path], crl_files: list[Path]
) -> CertificateSource:
    """``--cert-file`` answers every x5u; otherwise x5u is fetched over https."""
    try:
        anchors: list[x509.Certificate] | None = None
        if ca_files:
            anchors = [c for path in ca_files for c in load_certificates(_read(path, "CA file"))]
        crls = [crl for path in crl_files for crl in load_crls(_read(path, "CRL file"))]
    except ShakenError as exc:
        raise typer.BadParameter(str(exc)) from None
    policy = TrustPolicy(anchors, crls=crls)
    if cert_file is not None:
        return StaticCertificates(policy, fallback=_read(cert_file, "certificate"))
    return X5uCache(policy)


@app.command()
def verify(
    identity: Annotated[str, typer.Argument(help="Identity header value, or a bare token.")],
    orig: Annotated[str | None, typer.Option(help="From number to compare with orig.")] = None,
    dest: Annotated[str | None, typer.Option(help="To number to compare with dest.")] = None,
    cert_file: Annotated[
        Path | None, typer.Option(help="Use this PEM certificate instead of fetching x5u.")
    ] = None,
    ca_file: Annotated[
        list[Path] | None,
        typer.Option(help="Trust anchor PEM (repeatable); without it the chain is not checked."),
    ] = None,
    crl_file: Annotated[list[Path] | None, typer.Option(help="CRL PEM/DER (repeatable).")] = None,
    at: Annotated[float | None, typer.Option(help="Verifier clock, epoch seconds.")] = None,
    max_age: Annotated[
        float, typer.Option(help="iat freshness window in seconds, both directions.")
    ] = DEFAULT_MAX_AGE,
) -> None:
    """Verify an Identity header; print one JSON object; exit 0 valid, 1 invalid, 2 usage."""
    source = _certificate_source(cert_file, ca_file or [], crl_file or [])
    verifier = Verifier(source, max_age=max_age)
    now = time.time() if at is None else at
    outcome = verifier.check(identity, orig=orig, dest=dest, now=now, strict=False)
    typer.echo(json.dumps(outcome.as_json(), ensure_ascii=False))
    raise typer.Exit(0 if outcome.valid else 1)


@pki_app.command("init")
def pki_init(
    directory: Annotated[Path, typer.Argument(help="Directory to write the PKI into.")],
    x5u: Annotated[str, typer.Option(help="URL the SP certificate is served at.")] = DEFAULT_X5U,
    spc: Annotated[str, typer.Option(help="Service provider code for TNAuthList.")] = DEFAULT_SPC,
    intermediate: Annotated[
        bool, typer.Option(help="Issue the SP certificate from an intermediate CA.")
    ] = True,
    days: Annotated[int, typer.Option(min=1, help="SP certificate lifetime in days.")] = 365,
) -> None:
    """Make an STI-CA root (and intermediate) and an SP certificate with a TNAuthList SPC."""
    pki = ShakenPki.create(x5u=x5u, spc=spc, intermediate=intermediate, days=days)
    for path in pki.write(directory):
        typer.echo(str(path))


@app.command()
def bench(
    quick: Annotated[bool, typer.Option(help="A short run.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Raw ECDSA P-256 verify/sign rates against ringfence's full verify/sign, on one core."""
    figures = shaken_bench.run(quick=quick)
    if as_json:
        typer.echo(json.dumps(figures))
    else:
        typer.echo(shaken_bench.report(figures))


if __name__ == "__main__":
    app()
