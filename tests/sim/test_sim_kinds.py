"""KINDS and roles agree with the bundle schema and the reason codes."""

from __future__ import annotations

from ringfence.bundle.schema import ROLE
from ringfence.core.types import Action
from ringfence.sim import KINDS, Role


def test_roles_are_exactly_the_schema_roles() -> None:
    assert {str(r) for r in Role} == set(ROLE)


def test_every_kind_is_consistent() -> None:
    for kind, info in KINDS.items():
        assert info.reasons, kind
        assert info.description, kind
        assert (info.action is Action.BLOCK) == info.nuisance, kind


def test_one_ring_callbacks_are_labelled_not_blocked() -> None:
    callback = KINDS["one_ring_callback"]
    assert not callback.nuisance and callback.action is Action.LABEL
    assert KINDS["one_ring"].behavioural and not KINDS["cli_spoofing"].behavioural
