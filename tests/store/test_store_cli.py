"""``ringfence registry import`` and ``ringfence tokens create`` from the command line."""

from __future__ import annotations

from pathlib import Path

import typer
from typer.testing import CliRunner

from ringfence.cli.store import registry_app, tokens_app
from ringfence.server.privacy import mask_numbers
from ringfence.store import queries
from ringfence.store.db import make_engine, session_factory
from ringfence.store.records import token_hash

app = typer.Typer()
app.add_typer(registry_app, name="registry")
app.add_typer(tokens_app, name="tokens")


def test_import_reports_counts_and_keeps_rejects_aside(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "cdrs.csv").write_text(
        "call_id,start_time,caller,callee,ingress,trunk_id,ring_ms,talk_ms,disposition\n"
    )
    (bundle / "enterprises.csv").write_text(
        "enterprise_id,name,industry,credit_code\nE1,Acme,hr,\n"
    )
    (bundle / "trunks.csv").write_text(
        "trunk_id,enterprise_id,carrier,marketing\nT1,E1,cm,true\nT2,E7,cm,false\n"
    )
    db = f"sqlite:///{tmp_path / 'r.db'}"
    rejects = tmp_path / "rejects.csv"
    result = CliRunner().invoke(
        app, ["registry", "import", str(bundle), "--db", db, "--rejects", str(rejects)]
    )
    assert result.exit_code == 0, result.output
    assert "trunks: line 3" in result.output
    assert rejects.read_text().splitlines()[1].startswith("trunks,3,")


def test_tokens_create_prints_a_token_the_registry_knows(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'r.db'}"
    result = CliRunner().invoke(
        app, ["tokens", "create", "--role", "subscriber", "--number", "138 1234 5678", "--db", db]
    )
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    with session_factory(make_engine(db))() as session:
        principal = queries.principal_by_hash(session, token_sha256=token_hash(token))
    assert principal is not None
    assert (principal.role, principal.number) == ("subscriber", "+8613812345678")


def test_tokens_list_masks_numbers_and_revoke_marks_the_principal(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'r.db'}"
    runner = CliRunner()
    for role in (["--role", "subscriber", "--number", "13812345678"], ["--role", "carrier"]):
        assert runner.invoke(app, ["tokens", "create", *role, "--db", db]).exit_code == 0
    revoked = runner.invoke(app, ["tokens", "revoke", "2", "--db", db])
    assert revoked.exit_code == 0, revoked.output
    assert "principal 2 (carrier) revoked at" in revoked.output
    listed = runner.invoke(app, ["tokens", "list", "--db", db], terminal_width=200)
    assert listed.exit_code == 0, listed.output
    lines = {line.split()[1]: line for line in listed.output.splitlines() if "│ " in line[:3]}
    assert mask_numbers("+8613812345678") in lines["1"] and "12345678" not in listed.output
    with session_factory(make_engine(db))() as session:
        assert [p.revoked_at is not None for p in queries.principals(session)] == [False, True]
    unknown = runner.invoke(app, ["tokens", "revoke", "7", "--db", db])
    assert unknown.exit_code != 0
