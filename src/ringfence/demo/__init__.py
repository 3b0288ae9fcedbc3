"""``ringfence demo``: the main job on embedded defaults, end to end."""

from ringfence.demo.run import run_demo

__all__ = ["run_demo"]
