"""The behaviour every SearchEngine must show: run for real on tantivy, and on Meilisearch where one runs."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date

from core.search import IndexDoc, SearchEngine, SearchRequest, SearchResult

# Each call returns a new, opened engine over the same index: a second call stands for another process.
EngineFactory = Callable[[], Awaitable[SearchEngine]]

HOSTILE = [
    '"',
    "*",
    "AND OR NOT",
    "title:(",
    "\\",
    "x" * 10_000,
    "😀🏛️ 政务😀",
    '" OR 1=1 --',
    "site = \"a\" OR site != 'b'",
    "-",
    "--",
    "(((",
    "\x00\x01",
    "<script>alert(1)</script>",
    "中" * 3000,
]


def uid(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"yiwang-test:{name}"))


def doc(name: str, title: str, text: str = "", **fields: object) -> IndexDoc:
    return IndexDoc(id=uid(name), url=f"https://www.example.gov.cn/{name}.html", title=title, text=text, **fields)  # type: ignore[arg-type]


def ids(result: SearchResult) -> list[str]:
    return [hit.id for hit in result.hits]


BANK = doc(
    "bank",
    "中国农业发展银行支持春耕备耕",
    "今年以来，中国农业发展银行累计投放春耕贷款<b>120亿元</b>，支持粮食生产。",
    site="portal",
    kind="news",
    published_at=date(2021, 3, 5),
    issuer="市农业农村局",
    audience=["企业", "农户"],
)
NOTICE = doc(
    "notice",
    "关于做好2021年政务公开工作的通知",
    "各区县人民政府，市政府各部门：为做好政务公开工作，现将有关事项通知如下。农业补贴信息应当主动公开。",
    site="portal",
    kind="policy",
    published_at=date(2021, 6, 1),
    doc_no="市政办发〔2021〕12号",
    doc_no_normalized="市政办发2021-12",
    issuer="市人民政府办公厅",
    audience=["公众"],
)
FARM = doc(
    "farm",
    "县农业技术推广站开展培训",
    "为发展农业生产，推广站组织农户开展技术培训。",
    site="county",
    kind="news",
    published_at=date(2022, 4, 20),
    audience=["农户"],
)
UNDATED = doc("undated", "农业农村工作常见问题解答", "农业政策问答。", site="county", kind="faq")
ALL = [BANK, NOTICE, FARM, UNDATED]


async def finds_words_inside_compounds(make: EngineFactory) -> None:
    engine = await make()
    await engine.upsert(ALL)
    result = await engine.search(SearchRequest(query="农业"))
    assert BANK.id in ids(result), "农业 must be found inside 中国农业发展银行"
    assert set(ids(result)) == {d.id for d in ALL}
    hit = next(h for h in result.hits if h.id == BANK.id)
    assert "<em>农业</em>" in hit.title_highlighted
    assert "&lt;b&gt;" in hit.snippet and "<b>" not in hit.snippet, "snippets are HTML-escaped"
    assert hit.url == BANK.url and hit.site == "portal" and hit.published_at == date(2021, 3, 5)
    result = await engine.search(SearchRequest(query="春耕贷款"))
    assert ids(result)[0] == BANK.id
    traditional = await engine.search(SearchRequest(query="農業發展銀行"))
    assert ids(traditional) == [BANK.id], "traditional characters find simplified text"


async def needs_every_term_unless_none_has_all(make: EngineFactory) -> None:
    engine = await make()
    await engine.upsert(ALL)
    assert ids(await engine.search(SearchRequest(query="农业 培训"))) == [FARM.id]
    relaxed = await engine.search(SearchRequest(query="农业 量子纠缠", limit=10))
    assert relaxed.total == 4, "with no document holding every term, documents holding some still come"


async def filters_and_facets_count(make: EngineFactory) -> None:
    engine = await make()
    await engine.upsert(ALL)
    result = await engine.search(SearchRequest(query="", facets=["site", "year", "audience", "kind"], limit=10))
    assert result.total == 4
    assert result.facets["site"] == [("county", 2), ("portal", 2)]
    assert result.facets["year"] == [("2021", 2), ("2022", 1)]
    assert result.facets["audience"] == [("农户", 2), ("企业", 1), ("公众", 1)]
    assert result.facets["kind"] == [("news", 2), ("faq", 1), ("policy", 1)]
    one = await engine.search(SearchRequest(query="农业", filters={"site": ["portal"]}, facets=["kind"]))
    assert set(ids(one)) == {BANK.id, NOTICE.id}
    assert one.facets["kind"] == [("news", 1), ("policy", 1)]
    either = await engine.search(SearchRequest(filters={"kind": ["policy", "faq"]}))
    assert set(ids(either)) == {NOTICE.id, UNDATED.id}
    both = await engine.search(SearchRequest(filters={"kind": ["news"], "audience": ["农户"], "year": ["2022"]}))
    assert ids(both) == [FARM.id]
    dated = await engine.search(
        SearchRequest(published_after=date(2021, 3, 5), published_before=date(2021, 6, 1), limit=10)
    )
    assert set(ids(dated)) == {BANK.id, NOTICE.id}, "date bounds are inclusive"
    by_issuer = await engine.search(SearchRequest(filters={"issuer": ["市人民政府办公厅"]}))
    assert ids(by_issuer) == [NOTICE.id]
    by_doc_no = await engine.search(SearchRequest(doc_no="市政办发2021-12"))
    assert ids(by_doc_no) == [NOTICE.id]


async def paginates_past_the_end(make: EngineFactory) -> None:
    engine = await make()
    docs = [doc(f"page{i}", f"农业项目公示第{i}批", "农业项目。", published_at=date(2021, 1, i + 1)) for i in range(5)]
    await engine.upsert(docs)
    seen: list[str] = []
    for offset in (0, 2, 4):
        page = await engine.search(SearchRequest(query="农业项目", offset=offset, limit=2, sort="date_desc"))
        assert page.total == 5
        seen.extend(ids(page))
    assert sorted(seen) == sorted(d.id for d in docs)
    beyond = await engine.search(SearchRequest(query="农业项目", offset=10, limit=2))
    assert beyond.hits == [] and beyond.total == 5
    counted = await engine.search(SearchRequest(query="农业项目", limit=0))
    assert counted.hits == [] and counted.total == 5


async def matches_exact_phrases(make: EngineFactory) -> None:
    engine = await make()
    await engine.upsert(ALL)
    result = await engine.search(SearchRequest(query="农业", must_phrases=["农业发展银行"]))
    assert ids(result) == [BANK.id]
    result = await engine.search(SearchRequest(must_phrases=["发展农业生产"]))
    assert ids(result) == [FARM.id]
    titled = await engine.search(SearchRequest(query="农业", title_terms=["推广站"]))
    assert ids(titled) == [FARM.id]


async def excludes_terms(make: EngineFactory) -> None:
    engine = await make()
    await engine.upsert(ALL)
    result = await engine.search(SearchRequest(query="农业", exclude_terms=["银行"], limit=10))
    assert BANK.id not in ids(result) and result.total == 3


async def sorts_by_date(make: EngineFactory) -> None:
    engine = await make()
    await engine.upsert(ALL)
    newest = await engine.search(SearchRequest(query="农业", sort="date_desc", limit=10))
    assert ids(newest) == [FARM.id, NOTICE.id, BANK.id, UNDATED.id], "undated documents come last"
    oldest = await engine.search(SearchRequest(query="农业", sort="date_asc", limit=10))
    assert ids(oldest) == [BANK.id, NOTICE.id, FARM.id, UNDATED.id]


async def deletes(make: EngineFactory) -> None:
    engine = await make()
    await engine.upsert(ALL)
    await engine.delete([BANK.id, uid("never-indexed")])
    assert await engine.count() == 3
    result = await engine.search(SearchRequest(query="银行"))
    assert BANK.id not in ids(result)


async def upserts_idempotently(make: EngineFactory) -> None:
    engine = await make()
    await engine.upsert([BANK])
    await engine.upsert([BANK])
    await engine.upsert([BANK, BANK])
    assert await engine.count() == 1
    assert ids(await engine.search(SearchRequest(query="农业"))) == [BANK.id]
    renamed = doc("bank", "农发行更名公告", BANK.text, site="portal")
    await engine.upsert([renamed])
    result = await engine.search(SearchRequest(query="农业"))
    assert [h.title for h in result.hits] == ["农发行更名公告"]


async def survives_hostile_input(make: EngineFactory) -> None:
    engine = await make()
    await engine.upsert(ALL)
    for text in HOSTILE:
        for req in (
            SearchRequest(query=text, facets=["site"]),
            SearchRequest(query="农业", filters={"site": [text]}, must_phrases=[text]),
            SearchRequest(query="农业", exclude_terms=[text], title_terms=[text], doc_no=text),
        ):
            result = await engine.search(req)
            assert result.total >= 0
    injected = await engine.search(SearchRequest(filters={"site": ['portal" OR site = "county']}))
    assert injected.total == 0, "a filter value can never end its quotes"


async def reports_vocabulary_count_and_health(make: EngineFactory) -> None:
    engine = await make()
    await engine.upsert(ALL)
    assert await engine.count() == 4
    assert await engine.health()
    vocabulary = dict(await engine.vocabulary(1000))
    assert vocabulary.get("农业", 0) >= 2
    top = await engine.vocabulary(3)
    assert len(top) == 3 and [n for _, n in top] == sorted((n for _, n in top), reverse=True)
    assert sorted(await engine.titles(10)) == sorted(d.title for d in ALL)
    assert len(await engine.titles(2)) == 2


async def rebuilds_and_swaps_under_readers(make: EngineFactory) -> None:
    writer = await make()
    reader = await make()  # another process, as far as the index can tell
    await writer.upsert([BANK, NOTICE])
    assert set(ids(await reader.search(SearchRequest(query="农业")))) == {BANK.id, NOTICE.id}
    rebuild = await writer.begin_rebuild()
    await rebuild.upsert([FARM, UNDATED])
    assert set(ids(await reader.search(SearchRequest(query="农业")))) == {BANK.id, NOTICE.id}
    await rebuild.commit_and_swap()
    assert set(ids(await reader.search(SearchRequest(query="农业")))) == {FARM.id, UNDATED.id}
    assert await writer.count() == 2
    await writer.upsert([BANK])
    assert set(ids(await reader.search(SearchRequest(query="农业")))) == {BANK.id, FARM.id, UNDATED.id}


CASES: list[Callable[[EngineFactory], Awaitable[None]]] = [
    finds_words_inside_compounds,
    needs_every_term_unless_none_has_all,
    filters_and_facets_count,
    paginates_past_the_end,
    matches_exact_phrases,
    excludes_terms,
    sorts_by_date,
    deletes,
    upserts_idempotently,
    survives_hostile_input,
    reports_vocabulary_count_and_health,
    rebuilds_and_swaps_under_readers,
]
