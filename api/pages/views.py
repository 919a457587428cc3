"""The page routes: each runs the GraphQL operations of api/pages/queries.py and renders one template."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from api.pages import queries
from api.pages.account import NO_STORE, signed_in_token
from api.pages.charts import bar_chart
from api.pages.gql import gateway
from api.pages.render import KIND_NAMES, failure, page
from api.pages.words import hot_words
from core.documents import get_document
from core.errors import NotFound

FACET_FIELDS = ("kind", "site", "department", "region", "level", "year", "theme", "format")
SORTS = {"relevance": "RELEVANCE", "date_desc": "DATE_DESC", "date_asc": "DATE_ASC"}
QUESTION_MAX = 200
MAX_PAGE = 2**31 - 1  # what a GraphQL Int holds; the search refuses pages deeper than it serves by itself
HISTORY_TURNS = 6  # earlier exchanges the Q&A page carries in its form (the page keeps no state of its own)
ELDERLY_SERVICES = ("养老金", "医保报销", "社保卡", "老年优待证", "高龄津贴", "预约挂号", "公交卡", "住房公积金")


async def home(request: Request) -> Response:
    gw = gateway(request)
    listed = await gw.run(request, "query Sites { sites(enabled: true) { id name level } }")
    sites = listed.data.get("sites") or []
    if not sites:
        return page(request, "home.html", title="政府网站集约化平台", site=None, data={}, services=ELDERLY_SERVICES)
    chosen = request.query_params.get("site") or _portal(sites)
    answer = await gw.run(request, queries.HOME, {"site": chosen})
    if answer.errors and not answer.data.get("site"):
        return failure(request, answer.errors[0][0], answer.code())
    name = answer.data["site"]["name"]
    return page(request, "home.html", title=name, site=answer.data["site"], data=answer.data, services=ELDERLY_SERVICES)


def _portal(sites: list[dict[str, Any]]) -> str:
    """The group's home: the highest-level site (portal), else the first one."""
    for level in ("国家", "省", "市"):
        for s in sites:
            if s["level"] == level:
                return str(s["id"])
    return str(sites[0]["id"])


def _filters(request: Request) -> dict[str, list[str]] | None:
    chosen = {f: request.query_params.getlist(f) for f in FACET_FIELDS if request.query_params.getlist(f)}
    return chosen or None


async def search(request: Request) -> Response:
    q = request.query_params.get("q", "").strip()
    if not q:
        return page(request, "search.html", title="搜索", q="", result=None, chosen={}, sort="relevance")
    try:
        number = int(request.query_params.get("page", "1"))
    except ValueError:
        number = 0
    if number < 1:  # as /data and /units answer (page 0 or -3 served page 1)
        return failure(request, "page 必须是正整数", "BAD_INPUT")
    if number > MAX_PAGE:
        return failure(request, f"页码太大：page 最大为 {MAX_PAGE}，请用筛选条件缩小范围", "BAD_INPUT")
    sort = request.query_params.get("sort", "relevance")
    if sort not in SORTS:
        sort = "relevance"
    variables = {"q": q, "filters": _filters(request), "page": number, "sort": SORTS.get(sort, "RELEVANCE")}
    answer = await gateway(request).run(request, queries.SEARCH, variables)
    if answer.errors:
        return failure(request, answer.errors[0][0], answer.code())
    result = answer.data["search"]
    return page(
        request, "search.html", title=f"{q} - 搜索", q=q, result=result, chosen=_filters(request) or {}, sort=sort
    )


async def document(request: Request) -> Response:
    raw_id = request.path_params["id"]
    try:
        doc_id = str(uuid.UUID(raw_id))
        # The schema reads documents by URL; the id of a search hit is turned into its URL by the owner.
        url = (await get_document(request.app.state.services.pool, id=doc_id)).url
    except (ValueError, NotFound):
        return failure(request, "没有找到这篇文档", "NOT_FOUND")
    gw = gateway(request)
    answer = await gw.run(request, queries.DOCUMENT, {"url": url})
    doc = answer.data.get("document")
    if doc is None:
        return failure(
            request, answer.errors[0][0] if answer.errors else "没有找到这篇文档", answer.code() or "NOT_FOUND"
        )
    policy = (await gw.run(request, queries.POLICY, {"id": doc_id})).data.get("policy")
    return page(request, "document.html", title=doc["title"], doc=doc, policy=policy)


async def letter(request: Request) -> Response:
    """A published letter's public page (its URL is what LETTER_URL_TEMPLATE makes by default); anything else
    (an id that is not one, unknown, unpublished) is the same 404."""
    try:
        letter_id = str(uuid.UUID(request.path_params["id"]))
    except ValueError:
        return failure(request, "没有找到这封信件", "NOT_FOUND")
    answer = await gateway(request).run(request, queries.PUBLISHED_LETTER, {"id": letter_id})
    found = answer.data.get("publishedLetter")
    if found is None:
        message = answer.errors[0][0] if answer.errors and answer.code() != "NOT_FOUND" else "没有找到这封信件"
        return failure(request, message, answer.code() or "NOT_FOUND")
    return page(request, "letter.html", title=f"{found['subject']} - 信件选登", letter=found)


def _history(form: Any) -> list[tuple[str, str]]:
    asked = [str(v)[:QUESTION_MAX] for v in form.getlist("asked")]
    answered = [str(v)[:2000] for v in form.getlist("answered")]
    return list(zip(asked, answered, strict=False))[-HISTORY_TURNS:]


async def ask(request: Request) -> Response:
    if request.method == "GET" and "question" not in request.query_params:
        return page(
            request,
            "ask.html",
            title="智能问答",
            session=secrets.token_urlsafe(12),
            history=[],
            reply=None,
            question="",
            error=None,
        )
    form = await request.form() if request.method == "POST" else request.query_params
    question = str(form.get("question", "")).strip()
    session = str(form.get("session", "") or secrets.token_urlsafe(12))[:64]
    history = _history(form)
    if not question or len(question) > QUESTION_MAX:
        error = f"请输入问题（1 到 {QUESTION_MAX} 个字）"
        return page(
            request,
            "ask.html",
            status=400,
            title="智能问答",
            session=session,
            history=history,
            reply=None,
            question=question[:QUESTION_MAX],
            error=error,
        )
    bearer = await signed_in_token(request)  # 我的公积金余额 is read with the person's own token
    variables = {"question": question, "session": session}
    answer = await gateway(request).run(request, queries.ASK, variables, bearer=bearer)
    if answer.errors:
        return failure(request, answer.errors[0][0], answer.code())
    reply = answer.data["ask"]
    response = page(
        request,
        "ask.html",
        title="智能问答",
        session=session,
        history=history,
        reply=reply,
        question=question,
        error=None,
    )
    if bearer is not None:  # the answer may hold the person's records: no cache keeps them
        response.headers.update(NO_STORE)
    return response


async def screen(request: Request) -> Response:
    site = request.path_params["site"]
    answer = await gateway(request).run(request, queries.SCREEN, {"site": site})
    data = answer.data
    if not data.get("site"):
        return failure(request, answer.errors[0][0] if answer.errors else "没有这个站点", answer.code() or "NOT_FOUND")
    inventory = data.get("inventory") or {"byKind": [], "columns": [], "documents": 0}
    trend = bar_chart([(w["week"][5:], w["count"]) for w in data.get("updateTrend") or []], width=860, height=260)
    kinds = bar_chart(
        [(KIND_NAMES.get(k["kind"], k["kind"]), k["count"]) for k in inventory["byKind"]], width=860, height=200
    )
    titles = [d["title"] for d in (data.get("latest") or {}).get("items", [])]
    return page(
        request,
        "screen.html",
        title=f"{data['site']['name']} 监测大屏",
        data=data,
        inventory=inventory,
        trend=trend,
        kinds=kinds,
        words=hot_words(titles),
        alerts_query=queries.ALERTS_SUBSCRIPTION,
        hot_query=queries.HOT_SUBSCRIPTION,
    )
