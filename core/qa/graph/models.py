"""Nodes, relations and what one guide contributes to the service graph."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

KINDS = ("service", "department", "material", "condition", "place", "basis", "policy")
RELATIONS = ("requires_material", "handled_by", "handled_at", "based_on", "has_condition", "related_policy")
# the kind of node each relation leads to
TARGET_KIND = {
    "requires_material": "material",
    "handled_by": "department",
    "handled_at": "place",
    "based_on": "basis",
    "has_condition": "condition",
    "related_policy": "policy",
}
MAX_NAME = 1000


@dataclass(frozen=True)
class GraphNode:
    """A node of the service graph as a reply cites it."""

    kind: str
    name: str
    id: str
    url: str | None = None


@dataclass(frozen=True)
class Neighbour:
    """A node next to a service, by which relation and at which position in its guide."""

    relation: str
    node: GraphNode
    position: int = 0


@dataclass(frozen=True, kw_only=True)
class GuideGraph:
    """What one service guide contributes: the service node and its (relation, node) neighbours."""

    service: GraphNode
    attrs: dict[str, Any] = field(default_factory=dict)
    neighbours: tuple[Neighbour, ...] = ()
    basis_names: tuple[str, ...] = ()  # the 《…》 names a guide rests on, looked up in the policy library


@dataclass(frozen=True)
class ServiceView:
    """A service with its neighbours, as the graph holds it in memory."""

    node: GraphNode
    attrs: dict[str, Any]
    neighbours: tuple[Neighbour, ...]

    def of(self, relation: str) -> list[GraphNode]:
        return [n.node for n in self.neighbours if n.relation == relation]
