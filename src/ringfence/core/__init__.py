"""The pure core of ringfence: domain types, number plan, policy packs, checks, detectors.

Nothing in this package does I/O or imports a framework: it is fed snapshots and events
and returns values. Adapters (CLI, HTTP, SIP, replay) translate at the edge.
"""
