"""The service knowledge graph (一网通答): a service with its materials, places, bases … for frontends."""

from __future__ import annotations

import strawberry

from core.qa.graph import models
from core.qa.graph.service import MAX_PAGE_SIZE
from schema.context import Context
from schema.pagination import check_page

Info = strawberry.Info[Context, None]


@strawberry.type(
    description="A node of the service graph: a service, department, material, condition, place, basis or policy"
)
class QaGraphNode:
    kind: str
    name: str
    id: str
    url: str | None

    @classmethod
    def of(cls, n: models.GraphNode) -> QaGraphNode:
        return cls(kind=n.kind, name=n.name, id=n.id, url=n.url)


@strawberry.type(
    description="A node next to a service and how: requires_material, handled_by, handled_at, based_on, "
    "has_condition, related_policy"
)
class QaGraphNeighbour:
    relation: str
    position: int = strawberry.field(description="Order of the node in the service's guide, per relation")
    kind: str
    name: str
    id: str
    url: str | None


@strawberry.type(description="A service with a page of its neighbours")
class ServiceGraph:
    service: QaGraphNode
    neighbours: list[QaGraphNeighbour]
    total: int = strawberry.field(description="How many neighbours the service has in all")
    page: int
    page_size: int
    alternatives: list[QaGraphNode] = strawberry.field(
        description="Other services the name may mean, when it was not clear which one (best first)"
    )


@strawberry.type
class QaGraphQuery:
    @strawberry.field(
        description="A service by its node id or its (spoken) name, with a page of its neighbours; NOT_FOUND when no "
        "service matches"
    )
    async def service_graph(self, info: Info, service: str, page: int = 1, page_size: int = 20) -> ServiceGraph:
        check_page(page, page_size, MAX_PAGE_SIZE)
        found = await info.context.qa.graph.neighbours(service, page=page, page_size=page_size)
        return ServiceGraph(
            service=QaGraphNode.of(found.service),
            neighbours=[
                QaGraphNeighbour(
                    relation=n.relation,
                    position=n.position,
                    kind=n.node.kind,
                    name=n.node.name,
                    id=n.node.id,
                    url=n.node.url,
                )
                for n in found.neighbours
            ],
            total=found.total,
            page=page,
            page_size=page_size,
            alternatives=[QaGraphNode.of(a) for a in found.alternatives],
        )
