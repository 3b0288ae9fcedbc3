"""ringfence: an open, carrier-grade platform that stops nuisance phone calls."""

__version__ = "0.1.0"
