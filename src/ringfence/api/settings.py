"""Settings of the HTTP API and ``ringfence serve``, declared as data with their help text."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from ringfence.store.db import DEFAULT_URL


def _setting(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the app needs; :func:`ringfence.api.create_app` builds the app from it."""

    db_url: str = _setting(DEFAULT_URL, "Registry database: sqlite:///FILE or postgresql://…")
    policy: str = _setting("cn", "Policy pack: a built-in name (cn, us) or a TOML file.")
    redis_url: str = _setting("", "Redis URL to share the detectors' windows ('' = local).")
    redis_key: str = _setting("ringfence:live", "Redis stream key of the shared windows.")
    max_body_bytes: int = _setting(1 << 20, "Largest request body accepted (413 beyond).")
    max_batch: int = _setting(1_000, "Most attempts or events in one request.")
    feed_poll_s: float = _setting(
        0.05,
        "How often the change feed is polled (seconds): at most this long before a write by "
        "another process governs screening here.",
    )
    reports_per_hour: int = _setting(30, "Crowd reports one reporter may file per hour.")
    migrate: bool = _setting(True, "Migrate the database schema at start-up.")


def describe() -> list[tuple[str, str, str]]:
    """(name, default, help) of every setting, for documentation."""
    return [(f.name, repr(f.default), f.metadata["help"]) for f in fields(Settings)]
