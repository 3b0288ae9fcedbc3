"""Build hook: ``RINGFENCE_MYPYC=1`` compiles the screening core's hot modules with mypyc.

Without it (the default, and every editable install) ringfence is pure Python. With it, the
modules below become C extensions built from the same source; everything else, and every
behaviour, is unchanged (tests/core/test_compiled.py replays a city both ways and compares).
Metadata lives in pyproject.toml.
"""

import os

from setuptools import setup

#: The modules every screened call runs through (policy loading and parameters stay Python:
#: they introspect dataclasses, and run once).
HOT_MODULES = (
    "checks",
    "context",
    "live",
    "marketing",
    "numberplan",
    "registry",
    "screener",
    "types",
    "windows",
    "detectors/bombing",
    "detectors/conversations",
    "detectors/one_ring",
    "detectors/reports",
    "detectors/robocall",
)

ext_modules = []
if os.environ.get("RINGFENCE_MYPYC") == "1":
    from mypyc.build import mypycify

    ext_modules = mypycify([f"src/ringfence/core/{name}.py" for name in HOT_MODULES])

setup(ext_modules=ext_modules)
