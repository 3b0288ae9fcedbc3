"""The HTTP API (FastAPI): screening, call ends, refusals, consents, reports, scrubbing and the
registry's resources. Build it with :func:`create_app`; errors have one JSON shape
(:mod:`ringfence.api.errors`); authentication is by bearer token (:mod:`ringfence.api.auth`).
"""

from ringfence.api.app import create_app
from ringfence.api.settings import Settings

__all__ = ["Settings", "create_app"]
