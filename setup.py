"""Build hook: ``RINGFENCE_MYPYC=1`` compiles the hot modules of screening with mypyc.

Without it (the default, and every editable install) ringfence is pure Python. With it, the
modules below become C extensions built from the same source; everything else, and every
behaviour, is unchanged (tests/core/test_compiled.py replays a city both ways and compares).
Metadata lives in pyproject.toml.
"""

import os

from setuptools import setup

#: The modules every screened call runs through: the core's checks, detectors, number plan and
#: registry look-ups, STIR/SHAKEN signing and verification (certificates, Identity, PASSporT),
#: the replay loop, and the SIP server (parsing, ingress rules, transactions, answers). Policy
#: loading and parameters stay Python (they introspect dataclasses, and run once), as does the
#: SIP transport (asyncio protocols; per datagram it only reads and sends).
COMPILED_MODULES = (
    "core/auth",
    "core/checks",
    "core/context",
    "core/live",
    "core/marketing",
    "core/numberplan",
    "core/registry",
    "core/screener",
    "core/types",
    "core/windows",
    "core/detectors/bombing",
    "core/detectors/conversations",
    "core/detectors/one_ring",
    "core/detectors/reports",
    "core/detectors/robocall",
    "replay/engine",
    "shaken/certs",
    "shaken/identity",
    "shaken/jws",
    "shaken/passport",
    "shaken/screening",
    "shaken/signer",
    "shaken/tn",
    "shaken/verifier",
    "shaken/x5u",
    "sip/answers",
    "sip/auth",
    "sip/message",
    "sip/rules",
    "sip/server",
)

ext_modules = []
if os.environ.get("RINGFENCE_MYPYC") == "1":
    from mypyc.build import mypycify

    ext_modules = mypycify([f"src/ringfence/{name}.py" for name in COMPILED_MODULES])

setup(ext_modules=ext_modules)
