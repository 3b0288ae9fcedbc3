"""Commands over the registry and the server: ``serve``, ``registry import``, ``tokens``.

Mount in ``ringfence.cli.main``::

    from ringfence.cli import store as store_cli
    app.command("serve")(store_cli.serve)
    app.add_typer(store_cli.registry_app, name="registry")
    app.add_typer(store_cli.tokens_app, name="tokens")
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ringfence.cli.render import out, progress_bar
from ringfence.store.db import DEFAULT_URL, make_engine, migrate, session_factory, transaction

DbOption = Annotated[
    str,
    typer.Option("--db", help="Registry database: sqlite:///FILE or postgresql://USER@HOST/DB."),
]

registry_app = typer.Typer(no_args_is_help=True)
tokens_app = typer.Typer(no_args_is_help=True)


# Callbacks make each a command group even with one command (``registry import``).
@registry_app.callback()
def registry() -> None:
    """The registry (system of record): numbers, enterprises, consents, refusals, sanctions."""


@tokens_app.callback()
def tokens() -> None:
    """API bearer tokens and their roles."""


def serve(
    db: DbOption = DEFAULT_URL,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8080,
    redis: Annotated[
        str,
        typer.Option(
            help="redis://HOST:PORT/DB to share the detectors' windows between processes."
        ),
    ] = "",
    redis_key: Annotated[str, typer.Option(help="Redis stream key of the shared windows.")] = (
        "ringfence:live"
    ),
    policy: Annotated[
        str, typer.Option(help="Policy pack: a built-in name (cn, us) or the path of a TOML pack.")
    ] = "cn",
    access_log: Annotated[
        bool, typer.Option(help="Log every request (numbers masked); off for peak throughput.")
    ] = True,
    sip_port: Annotated[
        int,
        typer.Option(
            min=0, max=65535, help="SIP screening port (UDP and TCP, on --host); 0 disables SIP."
        ),
    ] = 5060,
    sip_rules: Annotated[
        Path | None,
        typer.Option(
            help="TOML file of SIP ingress/trunk rules (default: trust the "
            "P-Ringfence-Ingress and X-Trunk headers)."
        ),
    ] = None,
    shaken_pki: Annotated[
        Path | None,
        typer.Option(
            help="STIR/SHAKEN PKI directory (shaken pki init): verify Identity "
            "headers against it and sign our customers' calls with its SP key."
        ),
    ] = None,
    appeal_url: Annotated[
        str, typer.Option(help="Where blocked callers appeal (Call-Info of 608 responses).")
    ] = "https://appeal.ringfence.example/v1/appeal",
    contact_host: Annotated[
        str, typer.Option(help="Host of the 302 Contact (default: the Request-URI's host).")
    ] = "",
) -> None:
    """The HTTP API and the SIP screening server, sharing one screener fed by the registry's
    change feed (SQLite by default)."""
    from ringfence.api import Settings
    from ringfence.server.run import serve as run
    from ringfence.sip.auth import SipShaken
    from ringfence.sip.rules import IngressRules, load_rules
    from ringfence.sip.server import SipSettings

    sip = SipSettings(
        rules=load_rules(sip_rules) if sip_rules else IngressRules(),
        shaken=SipShaken.from_pki_dir(shaken_pki) if shaken_pki else SipShaken(),
        appeal_url=appeal_url,
        contact_host=contact_host,
    )
    run(
        Settings(db_url=db, redis_url=redis, redis_key=redis_key, policy=policy),
        host=host,
        port=port,
        access_log=access_log,
        sip_port=sip_port,
        sip=sip,
    )


@registry_app.command("import")
def import_(
    bundle: Annotated[Path, typer.Argument(help="Bundle directory.")],
    db: DbOption = DEFAULT_URL,
    rejects: Annotated[
        Path, typer.Option(help="Where rejected rows are written (only when there are some).")
    ] = Path("registry-rejects.csv"),
) -> None:
    """Load BUNDLE's registry tables (enterprises, trunks, blocks, consents, refusals,
    sanctions, reports); bad rows are reported with line and reason and kept aside."""
    from ringfence.bundle import Bundle, write_rejects
    from ringfence.core.numberplan import NumberPlan
    from ringfence.store.importer import import_bundle

    source = Bundle(bundle)
    engine = make_engine(db)
    migrate(engine)
    with progress_bar("importing") as bar, transaction(session_factory(engine)) as session:
        task = bar.add_task("importing", total=None)

        def step(table: str, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, description=table)

        result = import_bundle(
            session,
            source,
            actor="cli:registry-import",
            at=time.time(),
            plan=NumberPlan(),
            progress=step,
        )
    table = Table(title=f"registry import {bundle}")
    for column in ("table", "read", "imported", "rejected"):
        table.add_column(column, justify="left" if column == "table" else "right")
    for name, counts in result.tables.items():
        table.add_row(name, f"{counts.read:,}", f"{counts.imported:,}", f"{counts.rejected:,}")
    out.print(table)
    if result.rejects:
        write_rejects(rejects, result.rejects)
        for reject in result.rejects[:10]:
            out.print(f"  {reject}", highlight=False)
        out.print(f"{len(result.rejects):,} rejected row(s) kept in {rejects}")


@tokens_app.command("create")
def create_token(
    role: Annotated[str, typer.Option(help="regulator, carrier, enterprise or subscriber.")],
    enterprise: Annotated[
        str, typer.Option(help="The enterprise an enterprise token acts for.")
    ] = "",
    number: Annotated[str, typer.Option(help="The number a subscriber token is bound to.")] = "",
    db: DbOption = DEFAULT_URL,
) -> None:
    """Create an API principal and print its bearer token (shown only once)."""
    from ringfence.core.numberplan import NumberPlan
    from ringfence.store.records import create_principal

    key = NumberPlan().normalize(number) if number else ""
    engine = make_engine(db)
    migrate(engine)
    with transaction(session_factory(engine)) as session:
        token, _row = create_principal(
            session,
            actor="cli:tokens",
            at=time.time(),
            role=role,
            enterprise_id=enterprise,
            number=key,
        )
    print(token)


@tokens_app.command("list")
def list_tokens(db: DbOption = DEFAULT_URL) -> None:
    """List the API principals: id, role, binding, when created and revoked (never a token)."""
    from ringfence.server.privacy import mask_numbers
    from ringfence.store.queries import principals

    engine = make_engine(db)
    migrate(engine)
    with session_factory(engine)() as session:
        rows = principals(session)
    table = Table("id", "role", "enterprise", "number", "created", "revoked", title="principals")
    for row in rows:
        table.add_row(
            str(row.id),
            row.role,
            row.enterprise_id,
            mask_numbers(row.number),
            _when(row.created_at),
            _when(row.revoked_at) if row.revoked_at is not None else "",
        )
    out.print(table)


@tokens_app.command("revoke")
def revoke_token(
    principal_id: Annotated[int, typer.Argument(help="The principal's id (`tokens list`).")],
    db: DbOption = DEFAULT_URL,
) -> None:
    """Revoke a principal's token: every server refuses it within a second (the change feed)."""
    from ringfence.store.records import revoke_principal

    engine = make_engine(db)
    migrate(engine)
    with transaction(session_factory(engine)) as session:
        row = revoke_principal(
            session, actor="cli:tokens", at=time.time(), principal_id=principal_id
        )
        role, revoked_at = row.role, row.revoked_at
    out.print(f"principal {principal_id} ({role}) revoked at {_when(revoked_at)}")


def _when(epoch: float | None) -> str:
    """An epoch as local ISO 8601 to the second."""
    from datetime import datetime

    return datetime.fromtimestamp(epoch or 0).astimezone().isoformat(timespec="seconds")
