"""互动交流 and 应用商城: public data requests (数据需求) with a department's reply, and applications registered
with the datasets they use."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

import asyncpg

from core.errors import Conflict, Invalid, NotFound
from core.locks import Lock
from core.opendata import store

STATUSES = ("open", "replied", "fulfilled", "rejected")
REPLY_STATUSES = STATUSES[1:]
MAX_APP_DATASETS = 50


@dataclass(frozen=True, kw_only=True)
class DataRequest:
    """A request for data, to a department, and its reply once given."""

    id: str
    title: str
    body: str
    department: str
    department_title: str
    requester: str
    status: str
    reply: str | None
    replied_at: datetime | None
    dataset: str | None  # the name of the dataset that fulfils it
    created: datetime


@dataclass(frozen=True, kw_only=True)
class App:
    """An application built on the data, with the names of the datasets it uses."""

    id: str
    name: str
    description: str
    url: str
    developer: str
    created: datetime
    datasets: list[str] = field(default_factory=list)


REQUESTS = """select q.id::text as id, q.title, q.body, o.name as department, o.title as department_title, q.requester,
    q.status, q.reply, q.replied_at, d.name as dataset, q.created
from opendata_requests q join opendata_organizations o on o.id = q.organization_id
left join opendata_datasets d on d.id = q.dataset_id"""


def _text(value: str, name: str, limit: int) -> str:
    value = value.strip()
    if not 1 <= len(value) <= limit:
        raise Invalid(f"{name} is 1 to {limit} characters")
    return value


async def submit_request(*, pool: asyncpg.Pool, title: str, body: str, department: str, requester: str) -> DataRequest:
    """A signed-in person asks a department for data: by its name (`transport`) or, as people know it, its title
    (`市交通运输局`) when one department has it."""
    department = department.strip()
    org_id = await store.find_organization_id(pool, department)
    if org_id is None:
        titled = await pool.fetch("select id::text from opendata_organizations where title = $1 limit 2", department)
        org_id = titled[0]["id"] if len(titled) == 1 else None
    if org_id is None:
        raise NotFound(
            f"no department named or titled {department!r}: the departments are the facet `departments` of `datasets`"
        )
    title, body = _text(title, "title", 200), _text(body, "body", 5000)
    async with pool.acquire() as conn, conn.transaction():
        await Lock.DATA_REQUEST.hold(conn, requester)
        # the same request sent again while the first is open (a double click, a retry): the one already sent
        request_id = await conn.fetchval(
            """select id::text from opendata_requests where requester = $1 and organization_id = $2::uuid
                 and title = $3 and body = $4 and status = 'open' order by created limit 1""",
            requester,
            org_id,
            title,
            body,
        ) or await conn.fetchval(
            """insert into opendata_requests (title, body, organization_id, requester) values ($1, $2, $3::uuid, $4)
               returning id::text""",
            title,
            body,
            org_id,
            requester,
        )
    return await get_request(pool=pool, request_id=str(request_id))


async def get_request(*, pool: asyncpg.Pool, request_id: str) -> DataRequest:
    row = await pool.fetchrow(REQUESTS + " where q.id::text = $1", request_id)
    if row is None:
        raise NotFound(f"no data request {request_id!r}")
    return DataRequest(**dict(row.items()))


async def list_requests(
    *, pool: asyncpg.Pool, department: str | None, status: str | None, offset: int, limit: int
) -> tuple[list[DataRequest], int]:
    """Requests, newest first, of one department and status when given; and how many there are."""
    if status is not None and status not in STATUSES:
        raise Invalid(f"status is one of {', '.join(STATUSES)}")
    where = " where ($1::text is null or o.name = $1) and ($2::text is null or q.status = $2)"
    # the count and the page in one snapshot: a request sent or answered between them is in both or in neither
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        total = await conn.fetchval(
            "select count(*) from opendata_requests q join opendata_organizations o on o.id = q.organization_id"
            + where,
            department,
            status,
        )
        rows = await conn.fetch(
            REQUESTS + where + " order by q.created desc, q.id limit $3 offset $4", department, status, limit, offset
        )
    return [DataRequest(**dict(r.items())) for r in rows], int(total)


async def reply_request(
    *, pool: asyncpg.Pool, request_id: str, status: str, reply: str, replied_by: str, dataset: str | None = None
) -> DataRequest:
    """The department's reply: replied, fulfilled (naming the dataset) or rejected. A fulfilled request is closed; a
    rejected one may still be fulfilled (the data published later), nothing else."""
    if status not in REPLY_STATUSES:
        raise Invalid(f"a reply's status is one of {', '.join(REPLY_STATUSES)}")
    dataset_id = None
    if dataset is not None:
        row = await store.dataset_row(pool, dataset)
        if row is None or row["state"] != "active":
            raise NotFound(f"no dataset {dataset!r}")
        dataset_id = row["id"]
    if status == "fulfilled" and dataset_id is None:
        raise Invalid("a fulfilled request names the dataset that fulfils it")
    async with pool.acquire() as conn, conn.transaction():
        was = await conn.fetchval("select status from opendata_requests where id::text = $1 for update", request_id)
        if was is None:
            raise NotFound(f"no data request {request_id!r}")
        if was == "fulfilled" or (was == "rejected" and status != "fulfilled"):
            # a closed request keeps its answer: only data published after a refusal changes it (to fulfilled)
            raise Conflict(f"data request {request_id} is {was} already: its reply stands")
        await conn.execute(
            """update opendata_requests set status = $2, reply = $3, replied_by = $4, replied_at = now(),
                   dataset_id = $5::uuid
               where id::text = $1""",
            request_id,
            status,
            _text(reply, "reply", 5000),
            replied_by,
            dataset_id,
        )
    return await get_request(pool=pool, request_id=request_id)


def _host(url: str) -> str | None:
    try:
        return urlsplit(url).hostname
    except ValueError:  # a broken [IPv6] host
        return None


async def register_app(
    *, pool: asyncpg.Pool, name: str, description: str, url: str, developer: str, datasets: list[str]
) -> App:
    """An application and the datasets it uses (each must exist)."""
    url = url.strip()
    if not re.fullmatch(r"https?://\S+", url, re.IGNORECASE) or not _host(url):
        raise Invalid(f"url must be an http(s) URL naming a host, not {url[:100]!r}")
    if len(datasets) > MAX_APP_DATASETS:
        raise Invalid(f"at most {MAX_APP_DATASETS} datasets")
    async with pool.acquire() as conn, conn.transaction():
        ids = []
        for ref in dict.fromkeys(datasets):
            row = await store.dataset_row(conn, ref)
            if row is None or row["state"] != "active":
                raise NotFound(f"no dataset {ref!r}")
            ids.append(row["id"])
        app_id = await conn.fetchval(
            """insert into opendata_apps (name, description, url, developer) values ($1, $2, $3, $4)
               returning id::text""",
            _text(name, "name", 200),
            description.strip()[:5000],
            url,
            _text(developer, "developer", 200),
        )
        await conn.executemany(
            "insert into opendata_app_datasets (app_id, dataset_id) values ($1::uuid, $2::uuid)",
            [(app_id, i) for i in ids],
        )
    return (await list_apps(pool=pool, dataset_id=None, offset=0, limit=1, app_id=str(app_id)))[0][0]


async def list_apps(
    *, pool: asyncpg.Pool, dataset_id: str | None, offset: int, limit: int, app_id: str | None = None
) -> tuple[list[App], int]:
    """Applications, newest first (those using one dataset when given); and how many there are."""
    where = """ where ($1::uuid is null or exists (select 1 from opendata_app_datasets x
        where x.app_id = a.id and x.dataset_id = $1::uuid)) and ($2::text is null or a.id::text = $2)"""
    select = """select a.id::text as id, a.name, a.description, a.url, a.developer, a.created,
               coalesce((select array_agg(d.name order by d.name) from opendata_app_datasets x
                         join opendata_datasets d on d.id = x.dataset_id where x.app_id = a.id), '{}') as datasets
           from opendata_apps a"""
    # the count and the page in one snapshot: an application registered between them is in both or in neither
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        total = await conn.fetchval("select count(*) from opendata_apps a" + where, dataset_id, app_id)
        rows = await conn.fetch(
            select + where + " order by a.created desc, a.id limit $3 offset $4", dataset_id, app_id, limit, offset
        )
    return [App(**{**dict(r.items()), "datasets": list(r["datasets"])}) for r in rows], int(total)
