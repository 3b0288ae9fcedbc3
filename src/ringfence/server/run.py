"""Running ``ringfence serve``: the app on uvicorn and the SIP server, on one asyncio loop.

Both adapters share one :class:`~ringfence.server.screening.ScreeningService` (one screener,
fed by the registry's change feed), so a write acknowledged by the API governs the very next
INVITE too. Several processes may share one database (SQLite file or PostgreSQL) and, with
``--redis``, the detectors' windows; put a load balancer in front of the HTTP port (the SIP
port is shared by the kernel: see :mod:`ringfence.sip.transport`).
"""

from __future__ import annotations

import asyncio
import gc
import logging

import uvicorn

from ringfence.api import Settings, create_app
from ringfence.server.privacy import MaskNumbers
from ringfence.sip.server import SipServer, SipSettings
from ringfence.sip.transport import start as start_sip

LOGGERS = ("uvicorn.access", "uvicorn.error", "ringfence")
#: Middle-generation collections between two full ones while serving (CPython's default: 10).
FULL_COLLECTION_EVERY = 10_000
log = logging.getLogger("uvicorn.error")  # where uvicorn announces its own listener


def serve(
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    access_log: bool = True,
    sip_port: int = 5060,
    sip: SipSettings | None = None,
) -> None:
    """Serve the API (and SIP on UDP+TCP ``sip_port`` unless 0) until interrupted; numbers in
    every log line are masked."""
    app = create_app(settings)
    config = uvicorn.Config(app, host=host, port=port, log_level="info", access_log=access_log)
    server = uvicorn.Server(config)
    mask = MaskNumbers()
    for name in LOGGERS:
        logging.getLogger(name).addFilter(mask)

    # libphonenumber's lazily loaded data, loaded now rather than on the first odd number
    app.state.context.service.plan.warm_up()

    async def main() -> None:
        listener = None
        if sip_port:
            service = app.state.context.service
            listener = await start_sip(SipServer(service, sip), host, sip_port)
            log.info("SIP screening on udp+tcp %s:%d", host, listener.port)
        # What start-up built (modules, the app, the first registry snapshot: some 10^5
        # objects) is moved out of the cycle collector's sight, so that its full collections
        # scan only what serving creates instead of pausing every call for tens of ms.
        # (Frozen objects are still freed by reference counting when they are dropped.)
        gc.collect()
        gc.freeze()
        # Full collections scan every live object: the detectors' state and the number plan's
        # cache, some 10^5 objects and ~100 ms per pass under load. At CPython's default (one
        # per 10 middle-generation passes) that is every few seconds at 5,000 calls/s, and it
        # set the p99. Calls leave no reference cycles behind (tests/sip/test_sip_cycles.py),
        # so a full pass finds next to nothing: serving runs one per FULL_COLLECTION_EVERY
        # middle-generation passes (about one per 20 minutes at 5,000 calls/s).
        young, middle, _ = gc.get_threshold()
        gc.set_threshold(young, middle, FULL_COLLECTION_EVERY)
        try:
            await server.serve()
        finally:
            if listener is not None:
                listener.close()

    # uvicorn's own choice of loop: uvloop when installed (as for its HTTP parser, httptools).
    with asyncio.Runner(loop_factory=config.get_loop_factory()) as runner:
        runner.run(main())
