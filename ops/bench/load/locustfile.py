"""The locust scenario of `python -m ops.bench.load`: citizens searching the demo site group.

Each simulated user is one client (its own address in X-Forwarded-For, which the bench's web trusts from
loopback) sending `YW_LOAD_RATE` requests/s on average, its requests starting as a Poisson process (see
`poisson_arrivals`), of a mix of search, suggest, suggestDocuments, ask, document and sites queries with
Chinese queries of the demo sites' topics. Document
URLs come from the JSON file named by `YW_LOAD_FIXTURE` (`{"urls": [...]}`, written by the driver)."""

from __future__ import annotations

import itertools
import json
import os
import random
import time
from collections.abc import Callable
from typing import Any

import gevent
from locust import FastHttpUser, task

QUERIES = (
    "养老服务补贴",
    "公积金提取",
    "社保卡补办",
    "失业保险金申领",
    "医保报销比例",
    "营业执照办理",
    "义务教育入学",
    "住房租赁补贴",
    "残疾人两项补贴",
    "灵活就业社保",
    "高龄津贴",
    "创业担保贷款",
    "退役军人优待",
    "最低生活保障",
    "不动产登记",
    "人才引进政策",
    "就业见习补贴",
    "城乡居民养老保险",
    "工伤认定",
    "技能培训补贴",
    "青山县乡村振兴",
    "示范市政府工作报告",
    "稳就业",
    "劳动合同纠纷",
)
PREFIXES = ("养老", "公积", "社保", "yl", "shebao", "医保", "营业", "就业", "补贴", "住房", "gjj", "低保")
QUESTIONS = (
    "养老服务补贴怎么申请？",
    "公积金提取需要什么材料",
    "社保卡丢了怎么办",
    "失业金能领多久",
    "医保异地就医怎么备案",
    "新生儿怎么办理医保",
    "你好",
    "营业执照在哪里办",
)
SEARCH = """query($q: String!) { search(query: $q, pageSize: 10) { total tookMs
  hits { documentId url title titleHighlighted snippet site kind publishedAt } facets { field } didYouMean } }"""
SUGGEST = "query($p: String!) { suggest(prefix: $p, limit: 8) { text source } }"
SUGGEST_DOCS = "query($p: String!) { suggestDocuments(prefix: $p, perGroup: 3) { key name documents { title url } } }"
ASK = "query($q: String!) { ask(question: $q) { kind answer confidence options { question } } }"
DOCUMENT = "query($u: String!) { document(url: $u) { id title text kind publishedAt meta { issuer } } }"
SITES = "{ sites { id name level documentCount lastCrawledAt } }"
_addresses = itertools.count(1)


def _fixture() -> list[str]:
    path = os.environ.get("YW_LOAD_FIXTURE")
    if not path:
        return []
    return list(json.loads(open(path, encoding="utf-8").read())["urls"])


URLS = _fixture()
RATE = float(os.environ.get("YW_LOAD_RATE", "1"))


def poisson_arrivals(rate: float) -> Callable[[Any], float]:
    """A wait_time whose request starts form a Poisson process of `rate` per second for each user, so that N
    users together send a Poisson stream of N × rate — as independent citizens do. Locust's
    `constant_throughput` keeps every user on the phase it started with: users spawned together then fire in
    the same instant each second (a capture showed 640 of 645 requests arriving within the same tenth of a
    second), and the bench measured the draining of one burst a second rather than the web at that rate."""

    def wait(user: Any) -> float:
        now = time.monotonic()
        user.next_start = max(getattr(user, "next_start", now), now - 1 / rate) + random.expovariate(rate)
        return max(0.0, user.next_start - now)

    return wait


class Citizen(FastHttpUser):
    """One client of the portal, searching and reading."""

    wait_time = poisson_arrivals(RATE)

    def on_start(self) -> None:
        gevent.sleep(random.uniform(0, 1 / RATE))  # users spawned together start out of step, too
        n = next(_addresses) + os.getpid() % 200 * 65536
        self.address = f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"

    def _post(self, name: str, query: str, variables: dict[str, Any] | None = None) -> None:
        body = {"query": query, "variables": variables or {}}
        headers = {"X-Forwarded-For": self.address}
        with self.client.post("/graphql", json=body, headers=headers, name=name, catch_response=True) as resp:
            if resp.status_code != 200:
                resp.failure(f"HTTP {resp.status_code}: {(resp.text or '')[:200]}")
            elif "errors" in (data := resp.json()):
                resp.failure(f"GraphQL error: {json.dumps(data['errors'], ensure_ascii=False)[:200]}")

    @task(35)
    def search(self) -> None:
        self._post("search", SEARCH, {"q": random.choice(QUERIES)})

    @task(20)
    def suggest(self) -> None:
        self._post("suggest", SUGGEST, {"p": random.choice(PREFIXES)})

    @task(15)
    def suggest_documents(self) -> None:
        self._post("suggestDocuments", SUGGEST_DOCS, {"p": random.choice(PREFIXES)})

    @task(10)
    def ask(self) -> None:
        self._post("ask", ASK, {"q": random.choice(QUESTIONS)})

    @task(15)
    def document(self) -> None:
        if URLS:
            self._post("document", DOCUMENT, {"u": random.choice(URLS)})

    @task(5)
    def sites(self) -> None:
        self._post("sites", SITES)
