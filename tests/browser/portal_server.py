"""The real API app with demo documents, served from a thread for sync Playwright tests (one per test module).

The thread runs its own event loop: the session's Postgres and NATS (tests/services.py), the real search
projector, policy-library and analytics consumers (durable names of their own), the document and Q&A importers,
a first inspection, then uvicorn with `create_app` — the path `yiwang up` takes, in one process."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import json
import secrets
import threading
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import aiohttp
import uvicorn
from starlette.applications import Starlette

from api.app import create_app
from core.bus import ConsumerRunner
from core.documents.importer import import_documents
from core.identity import accounts
from core.monitoring import inspect_and_alert
from core.qa.importer import import_qa
from core.services import Services, open_services
from core.settings import Settings
from core.speech import Synthesizer
from tests.conftest import free_port
from tests.integration.crawling import add_site
from tests.integration.graphql import ADMIN_TOKEN
from tests.integration.pages_data_fixtures import Seeded, seed_datasets, seed_units
from tests.polling import eventually
from workers.analytics import AnalyticsConsumer
from workers.policy_library import PolicyLibrary
from workers.projector import SearchProjector

T = TypeVar("T")
CITIZEN_PASSWORD = "鼓浪屿 3 号 correct horse"
HOSTILE_TITLE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">养老服务 恶意标题'
POLICY_DOC_NO = "示政办发〔2024〕5号"
OPEN_CITY = "3308"  # the 市 of the unit tree `open_data` seeds (integration tests use 3301-3307)


def _day(weeks_ago: int) -> str:
    return (date.today() - timedelta(weeks=weeks_ago, days=1)).isoformat()


def demo_documents(portal: str, dept: str) -> list[dict[str, Any]]:
    base, dbase = f"https://{portal}.example.gov.cn", f"https://{dept}.example.gov.cn"
    policy_text = (
        f"示例市人民政府办公厅\n{POLICY_DOC_NO}\n各区人民政府，市政府各部门：\n"
        "为做好养老服务工作，让老年人办事更方便，现将有关事项通知如下。\n一、推进养老服务设施建设。\n二、落实高龄津贴。"
    )
    policy = {
        "title": "示例市人民政府办公厅关于做好养老服务工作的通知",
        "text": policy_text,
        "kind": "policy",
        "doc_no": POLICY_DOC_NO,
        "issuer": "示例市人民政府办公厅",
        "published_at": _day(1),
    }
    docs = [
        {"url": f"{base}/zwgk/zcwj/1.html", "site": portal, **policy},
        {"url": f"{dbase}/zcwj/1.html", "site": dept, **policy, "published_at": _day(0)},
        {
            "url": f"{base}/zcjd/2.html",
            "site": portal,
            "kind": "interpretation",
            "published_at": _day(1),
            "title": "一图读懂《示例市人民政府办公厅关于做好养老服务工作的通知》",
            "text": f"《示例市人民政府办公厅关于做好养老服务工作的通知》（{POLICY_DOC_NO}）解读：设施与津贴。",
        },
        {
            "url": f"{base}/bsfw/3.html",
            "site": portal,
            "kind": "service",
            "published_at": _day(3),
            "title": "高龄津贴申领办事指南",
            "text": "办理对象：80周岁以上老年人。办理材料：身份证、户口簿。办理地点：社区服务中心。",
        },
        {
            "url": f"{base}/ywdt/9.html",
            "site": portal,
            "kind": "news",
            "published_at": _day(0),
            "title": HOSTILE_TITLE,
            "text": '养老服务新闻。<script>window.__pwned=3</script> 正文 "引号" & 符号',
        },
    ]
    docs.append(
        {
            "url": f"{base}/ywdt/10.html",
            "site": portal,
            "kind": "news",
            "published_at": _day(0),
            "title": "社区为老年人集中办理高龄津帖",
            "text": "社区工作人员上门为老年人办理高龄津帖申领。",
        }
    )
    for i in range(8):
        docs.append(
            {
                "url": f"{base}/ywdt/n{i}.html",
                "site": portal,
                "kind": "news",
                "published_at": _day(i % 6),
                "title": f"示例市召开第{i + 1}次养老服务工作推进会",
                "text": "会议要求做好养老服务和社区服务工作。",
            }
        )
    return docs


def demo_pairs(portal: str) -> list[dict[str, Any]]:
    basis = f"https://{portal}.example.gov.cn/zwgk/zcwj/1.html"
    return [
        {
            "id": "portal-1",
            "question": "高龄津贴怎么申领",
            "answer": "80周岁以上老年人带身份证和户口簿到社区服务中心申领。",
            "basis_url": basis,
            "basis_title": "示例市人民政府办公厅关于做好养老服务工作的通知",
        },
        {
            "id": "portal-2",
            "question": "高龄津贴每月发多少",
            "answer": "按年龄段每月发放，80至89周岁每月100元。",
            "basis_url": basis,
            "basis_title": "示例市人民政府办公厅关于做好养老服务工作的通知",
        },
        {"id": "portal-3", "question": "社保卡丢了怎么补办", "answer": "可到任一社保服务网点或通过手机办理挂失补办。"},
    ]


class PortalServer:
    """Start with `start()`; `url` is the base URL; `call(fn)` runs `fn(services)` in the server's loop.

    `documents=False` seeds only the two sites (no documents, Q&A or inspection): pages that need none start in
    seconds. `citizen=True` adds an account (`citizen`, CITIZEN_PASSWORD, real-name level 3) to sign in with.
    `speech`: the read-aloud engine of /speech (core.speech), for machines without espeak-ng. `open_data=True`
    adds datasets and the unit tree under OPEN_CITY (tests/integration/pages_data_fixtures.py) as `self.open`."""

    def __init__(
        self,
        settings: Settings,
        *,
        documents: bool = True,
        citizen: bool = False,
        speech: Synthesizer | None = None,
        open_data: bool = False,
    ) -> None:
        tag = secrets.token_hex(3)
        self.documents, self.citizen, self.speech = documents, f"citizen-{tag}" if citizen else None, speech
        self.portal, self.dept = f"portal-{tag}", f"dept-{tag}"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.settings = dataclasses.replace(settings, port=self.port, broker_url="stub://", admin_token=ADMIN_TOKEN)
        self.tag = tag
        self.open_data, self.open = open_data, Seeded(url="", air="", hostile="", resource="", org="")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._services: Services | None = None
        self._ready = concurrent.futures.Future[None]()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), name="portal-server", daemon=True)

    def start(self) -> PortalServer:
        self._thread.start()
        self._ready.result(timeout=240)
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=60)

    def call(self, fn: Callable[[Services], Awaitable[T]], timeout: float = 30) -> T:
        assert self._loop is not None and self._services is not None
        services = self._services
        return asyncio.run_coroutine_threadsafe(fn(services), self._loop).result(timeout)  # type: ignore[arg-type]

    async def _main(self) -> None:
        try:
            async with open_services(self.settings, name="portal-feed", pool_size=4) as services:
                self._loop, self._services, self._stop = asyncio.get_running_loop(), services, asyncio.Event()
                await services.bus.ensure_streams()
                async with self._consumers(services) as projector:
                    await self._seed(services, projector)
                    await self._serve()
        except BaseException as exc:
            if not self._ready.done():
                self._ready.set_exception(exc)
            raise

    @contextlib.asynccontextmanager
    async def _consumers(self, services: Services) -> Any:
        if not self.documents:  # nothing to project, link or count: no consumers to start and delete
            yield ""
            return
        projector = SearchProjector.create(services)
        library = PolicyLibrary(services.pool, services.bus)
        analytics = AnalyticsConsumer(services.pool, services.bus, clock=services.clock)
        for c in (projector, library, analytics):
            c.name = f"{c.name}-{self.tag}"
        runners = [ConsumerRunner(services.bus, c, batch=64, ack_wait_s=10) for c in (projector, library, analytics)]
        tasks = [asyncio.create_task(r.run()) for r in runners]
        try:
            yield projector.name
        finally:
            for r in runners:
                r.stop()
            await asyncio.gather(*tasks, return_exceptions=True)
            for r in runners:
                with contextlib.suppress(Exception):
                    await services.bus.js.delete_consumer(r.consumer.stream, r.consumer.name)

    async def _seed(self, services: Services, projector: str) -> None:
        for site, name, level in ((self.portal, "示例市人民政府", "市"), (self.dept, "示例市民政局", "部门")):
            record = {"id": site, "name": name, "level": level, "start_urls": [f"https://{site}.example.gov.cn/"]}
            if level == "部门":
                record["department"] = name
            await add_site(services.pool, record)
        if self.citizen is not None:
            await accounts.create_user(
                pool=services.pool,
                username=self.citizen,
                name="王阿姨",
                password=CITIZEN_PASSWORD,
                real_name_level=3,
                settings=self.settings,
            )
        if self.open_data:
            opendata = dataclasses.replace(self.settings, opendata_site=f"opendata-{self.tag}")
            self.open = await seed_datasets(services.pool, opendata, self.tag)
            await seed_units(services.pool, services.bus, OPEN_CITY)
        if not self.documents:
            return
        lines = [json.dumps(d, ensure_ascii=False) for d in demo_documents(self.portal, self.dept)]
        summary = await import_documents(services.pool, services.bus, lines, projector=projector, wait_timeout_s=120)
        assert not summary.rejected, summary.rejected
        await import_qa(pool=services.pool, lines=[json.dumps(p, ensure_ascii=False) for p in demo_pairs(self.portal)])
        await inspect_and_alert(services.pool, services.bus, self.portal, datetime.now(UTC))

    def _app(self) -> Any:
        app = create_app(self.settings)
        if self.speech is not None:  # the read-aloud engine the pages use instead of the one found on PATH
            inner = app
            while not isinstance(inner, Starlette):  # through the middlewares create_app wraps around it
                inner = inner.app  # type: ignore[attr-defined]
            inner.state.speech = self.speech
        return app

    async def _serve(self) -> None:
        config = uvicorn.Config(
            self._app(),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="on",
            ws="websockets-sansio",
        )
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve())
        await eventually(lambda: _started(server, task), timeout=120, what="the portal server listening")
        if self.documents:
            await eventually(self._policy_linked, timeout=60, what="the policy library linked the interpretation")
        self._ready.set_result(None)
        assert self._stop is not None
        await self._stop.wait()
        server.should_exit = True
        await task

    async def _policy_linked(self) -> bool:
        query = "query($u: String!) { document(url: $u) { id } }"
        url = f"https://{self.portal}.example.gov.cn/zwgk/zcwj/1.html"
        async with aiohttp.ClientSession() as s:
            async with s.post(f"{self.url}/graphql", json={"query": query, "variables": {"u": url}}) as r:
                doc = ((await r.json()).get("data") or {}).get("document")
            if doc is None:
                return False
            body = {
                "query": "query($id: ID!) { policy(id: $id) { interpretations { documentId } } }",
                "variables": {"id": doc["id"]},
            }
            async with s.post(f"{self.url}/graphql", json=body) as r:
                policy = ((await r.json()).get("data") or {}).get("policy")
        return bool(policy and policy["interpretations"])


async def _started(server: uvicorn.Server, task: asyncio.Task[None]) -> bool:
    if task.done():
        task.result()
        raise AssertionError("the server stopped before it started")
    return bool(server.started)


@contextlib.contextmanager
def portal_server(settings: Settings, **options: Any) -> Iterator[PortalServer]:
    """A started PortalServer (`options`: documents, citizen, speech), stopped after use."""
    server = PortalServer(settings, **options).start()
    try:
        yield server
    finally:
        server.stop()
