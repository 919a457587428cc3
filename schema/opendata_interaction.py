"""Open data's 互动交流 and 应用商城 over GraphQL: data requests with departments' replies, and applications
registered with the datasets they use."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info as AnyInfo

from core.errors import NotFound, YiwangError
from core.opendata import interaction
from schema.context import Context
from schema.pagination import check_page
from schema.permissions import ADMIN, Need, RoleCheck, acting_username

Info = strawberry.Info[Context, None]


class IsDataRequestReplier(RoleCheck):
    """A replier of the department the data request (its `id` argument) was sent to (or an admin). The role's
    department is the department's name or its title. An unknown id needs any replier role (then NOT_FOUND)."""

    role = "replier"

    async def need_of(self, info: AnyInfo, arguments: dict[str, Any]) -> Need:
        try:
            found = await interaction.get_request(pool=info.context.pool, request_id=str(arguments.get("id", "")))
        except NotFound:
            return Need(role="replier")
        try:
            principal = await info.context.principal()
        except YiwangError:  # refused by has_permission, which asks again
            principal = None
        if principal is not None and principal.has_role("replier", department=found.department):
            return Need(role="replier", department=found.department)
        return Need(role="replier", department=found.department_title)


DEPARTMENT_REPLIER: Any = [IsDataRequestReplier]


@strawberry.type(description="A public request for data (数据需求) to a department, and its reply")
class OpenDataRequest:
    id: strawberry.ID
    title: str
    body: str
    department: str
    department_title: str
    requester: str
    status: str = strawberry.field(description="open | replied | fulfilled | rejected")
    reply: str | None
    replied_at: datetime | None
    dataset: str | None = strawberry.field(description="The name of the dataset that fulfils it")
    created: datetime

    @classmethod
    def of(cls, r: interaction.DataRequest) -> OpenDataRequest:
        return cls(
            id=strawberry.ID(r.id),
            title=r.title,
            body=r.body,
            department=r.department,
            department_title=r.department_title,
            requester=r.requester,
            status=r.status,
            reply=r.reply,
            replied_at=r.replied_at,
            dataset=r.dataset,
            created=r.created,
        )


@strawberry.type(description="A page of data requests")
class OpenDataRequestPage:
    items: list[OpenDataRequest]
    total: int


@strawberry.type(description="An application built on the data (应用商城)")
class OpenApp:
    id: strawberry.ID
    name: str
    description: str
    url: str
    developer: str
    created: datetime
    datasets: list[str] = strawberry.field(description="The names of the datasets it uses")

    @classmethod
    def of(cls, a: interaction.App) -> OpenApp:
        return cls(
            id=strawberry.ID(a.id),
            name=a.name,
            description=a.description,
            url=a.url,
            developer=a.developer,
            created=a.created,
            datasets=a.datasets,
        )


@strawberry.type(description="A page of applications")
class OpenAppPage:
    items: list[OpenApp]
    total: int


@strawberry.type
class OpenDataInteractionQuery:
    @strawberry.field(description="Data requests, newest first, of one department (name) and status when given")
    async def data_requests(
        self, info: Info, department: str | None = None, status: str | None = None, page: int = 1, page_size: int = 20
    ) -> OpenDataRequestPage:
        offset, limit = check_page(page, page_size, info.context.settings.max_page_size)
        items, total = await interaction.list_requests(
            pool=info.context.pool, department=department, status=status, offset=offset, limit=limit
        )
        return OpenDataRequestPage(items=[OpenDataRequest.of(r) for r in items], total=total)

    @strawberry.field(description="Applications built on the data, newest first")
    async def open_data_apps(self, info: Info, page: int = 1, page_size: int = 20) -> OpenAppPage:
        offset, limit = check_page(page, page_size, info.context.settings.max_page_size)
        items, total = await interaction.list_apps(pool=info.context.pool, dataset_id=None, offset=offset, limit=limit)
        return OpenAppPage(items=[OpenApp.of(a) for a in items], total=total)


@strawberry.type
class OpenDataInteractionMutation:
    @strawberry.mutation(description="Ask a department (by its name, or its title) for data; needs a signed-in caller")
    async def submit_data_request(self, info: Info, title: str, body: str, department: str) -> OpenDataRequest:
        who = await info.context.signed_in()
        made = await interaction.submit_request(
            pool=info.context.pool, title=title, body=body, department=department, requester=who.username
        )
        return OpenDataRequest.of(made)

    @strawberry.mutation(
        permission_classes=DEPARTMENT_REPLIER,
        description="Reply to a data request: replied, fulfilled (with dataset) or rejected; needs the replier role "
        "of the request's department (its name or title), or admin",
    )
    async def reply_data_request(
        self, info: Info, id: strawberry.ID, status: str, reply: str, dataset: str | None = None
    ) -> OpenDataRequest:
        done = await interaction.reply_request(
            pool=info.context.pool,
            request_id=str(id),
            status=status,
            reply=reply,
            replied_by=await acting_username(info),
            dataset=dataset,
        )
        return OpenDataRequest.of(done)

    @strawberry.mutation(permission_classes=ADMIN, description="Register an application with the datasets it uses")
    async def register_open_data_app(
        self, info: Info, name: str, url: str, developer: str, datasets: list[str], description: str = ""
    ) -> OpenApp:
        made = await interaction.register_app(
            pool=info.context.pool, name=name, description=description, url=url, developer=developer, datasets=datasets
        )
        return OpenApp.of(made)
