"""Running ``ringfence serve``: the app on uvicorn (one process, one worker).

Several processes may share one database (SQLite file or PostgreSQL) and, with ``--redis``,
the detectors' windows; put a load balancer in front of them.
"""

from __future__ import annotations

import logging

import uvicorn

from ringfence.api import Settings, create_app
from ringfence.server.privacy import MaskNumbers

LOGGERS = ("uvicorn.access", "uvicorn.error", "ringfence")


def serve(
    settings: Settings, *, host: str = "127.0.0.1", port: int = 8080, access_log: bool = True
) -> None:
    """Serve the API until interrupted; numbers in every log line are masked."""
    app = create_app(settings)
    config = uvicorn.Config(app, host=host, port=port, log_level="info", access_log=access_log)
    server = uvicorn.Server(config)
    mask = MaskNumbers()
    for name in LOGGERS:
        logging.getLogger(name).addFilter(mask)
    server.run()
