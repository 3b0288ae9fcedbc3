"""Where a SIP call entered the network: ingress and trunk from configurable rules.

A switch tells the screening server little about a call's origin, so the carrier writes rules
on what the server can see: the address the INVITE came from, or a header its edge adds.
Rules are tried in order; the first that matches decides. A TOML file holds them::

    [[rule]]                       # the international gateway
    source = "10.20.0.0/16"
    ingress = "international"

    [[rule]]                       # enterprise trunks: the SBC names the trunk
    header = "X-Trunk"
    ingress = "enterprise"
    trunk_header = "X-Trunk"

    [[rule]]                       # anything else: the ingress the switch declares, if any
    ingress_header = "P-Ringfence-Ingress"
    ingress = "interconnect"

A rule matches when every condition it has holds (``source``: the sender's address is in
the network; ``header``: the header is present, and equals ``value`` when one is given).
``ingress_header`` reads the ingress from a header (falling back to ``ingress``),
``trunk``/``trunk_header`` set the trunk id.
"""

from __future__ import annotations

import ipaddress
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from ringfence.core.errors import PolicyError
from ringfence.core.types import Ingress
from ringfence.sip.message import COMPACT_FORMS, SipRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

INGRESS_HEADER: Final = "P-Ringfence-Ingress"
TRUNK_HEADER: Final = "X-Trunk"
_KEYS: Final = frozenset(
    {"source", "header", "value", "ingress", "ingress_header", "trunk", "trunk_header"}
)


def _header_name(name: str) -> str:
    lower = name.strip().lower()
    return COMPACT_FORMS.get(lower, lower)


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule: conditions (``source``, ``header``/``value``) and what they decide."""

    source: Network | None = None
    header: str = ""
    value: str = ""
    ingress: Ingress = Ingress.INTERCONNECT
    ingress_header: str = ""
    trunk: str = ""
    trunk_header: str = ""

    def __post_init__(self) -> None:
        # Header names are held as the parser keys them (lower-case long form): each call then
        # looks them up as they are.
        for name in ("header", "ingress_header", "trunk_header"):
            object.__setattr__(self, name, _header_name(getattr(self, name)))

    def matches(self, request: SipRequest, address: str) -> bool:
        """Whether every condition of this rule holds for ``request`` from ``address``."""
        if self.source is not None:
            try:
                if ipaddress.ip_address(address) not in self.source:
                    return False
            except ValueError:
                return False
        if self.header:
            found = request.headers.get(self.header)
            if not found or (self.value and found[0] != self.value):
                return False
        return True

    def decide(self, request: SipRequest) -> tuple[Ingress, str]:
        """The ingress and trunk id this rule gives ``request`` (it must match)."""
        ingress = self.ingress
        if self.ingress_header:
            declared = request.header(self.ingress_header).strip().lower()
            ingress = _INGRESS_BY_VALUE.get(declared, ingress)
        trunk = self.trunk
        if self.trunk_header:
            trunk = request.header(self.trunk_header).strip() or trunk
        return ingress, trunk


_INGRESS_BY_VALUE: Final = {i.value: i for i in Ingress}
_INGRESS_VALUES: Final = frozenset(_INGRESS_BY_VALUE)

#: Without a rules file: trust the switch's P-Ringfence-Ingress and X-Trunk headers.
DEFAULT_RULES: Final = (
    Rule(ingress=Ingress.INTERCONNECT, ingress_header=INGRESS_HEADER, trunk_header=TRUNK_HEADER),
)


class IngressRules:
    """Ordered rules; a call no rule matches enters by ``default``."""

    def __init__(
        self, rules: Sequence[Rule] = DEFAULT_RULES, default: Ingress = Ingress.INTERCONNECT
    ) -> None:
        self.rules = tuple(rules)
        self.default = default

    def classify(self, request: SipRequest, address: str) -> tuple[Ingress, str]:
        """The ingress and trunk id of ``request`` received from ``address``."""
        for rule in self.rules:
            if rule.matches(request, address):
                return rule.decide(request)
        return self.default, ""


def rule_from_table(table: Mapping[str, Any], where: str) -> Rule:
    """One rule from its TOML table; :class:`PolicyError` names the bad key or value."""
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise PolicyError(f"{where}: unknown key(s) {', '.join(unknown)}; known: {sorted(_KEYS)}")
    for key, value in table.items():
        if not isinstance(value, str):
            raise PolicyError(f"{where}: {key} must be a string, got {value!r}")
    source = None
    if "source" in table:
        try:
            source = ipaddress.ip_network(table["source"], strict=False)
        except ValueError as exc:
            raise PolicyError(
                f"{where}: source {table['source']!r} is not a network: {exc}"
            ) from None
    ingress = table.get("ingress", Ingress.INTERCONNECT.value)
    if ingress not in _INGRESS_VALUES:
        raise PolicyError(f"{where}: ingress {ingress!r} is not one of {sorted(_INGRESS_VALUES)}")
    return Rule(
        source=source,
        header=table.get("header", ""),
        value=table.get("value", ""),
        ingress=Ingress(ingress),
        ingress_header=table.get("ingress_header", ""),
        trunk=table.get("trunk", ""),
        trunk_header=table.get("trunk_header", ""),
    )


def load_rules(path: Path) -> IngressRules:
    """The rules of a TOML file (``[[rule]]`` tables, see the module docstring)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PolicyError(f"cannot read SIP ingress rules {path}: {exc}") from None
    tables = data.get("rule", [])
    if not isinstance(tables, list) or not tables:
        raise PolicyError(f"{path}: expected one or more [[rule]] tables")
    return IngressRules([rule_from_table(t, f"{path}: rule {i + 1}") for i, t in enumerate(tables)])
