"""Replay: screen every call of a bundle in time order as if it were live."""

from ringfence.replay.engine import ReplayResult, replay_bundle
from ringfence.replay.registry_loader import load_registry

__all__ = ["ReplayResult", "load_registry", "replay_bundle"]
