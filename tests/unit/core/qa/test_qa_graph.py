"""The service graph in memory: guides in, the four question forms answered with the nodes they rest on."""

from __future__ import annotations

import pytest

from core.qa.graph.extract import guide_graph
from core.qa.graph.graph import ServiceGraph
from core.qa.graph.intents import parse
from core.qa.graph.models import ServiceView
from core.qa.graph.resolve import default_variants
from core.qa.models import SessionContext
from core.qa.query import understand

# Guides written by us in the form stored guide pages take (the demo's and a crawled 办事指南's labelled lines).
SFZ = """事项名称：居民身份证补领
实施主体：示范市公安局
受理条件：居民身份证丢失的本市户籍居民
申请材料
1. 居民身份证原件
2. 户口簿（原件及复印件）
3. 近期免冠照片一张
办理地点：示范市政务服务中心1楼3号窗口
办理时间：工作日9:00-17:00
咨询电话：12345
设定依据：《中华人民共和国居民身份证法》第十一条；《示范市户籍管理办法》"""
SFZ_NEW = """事项名称：居民身份证申领
实施主体：示范市公安局
申请材料
1. 《居民身份证》复印件
2. 户口簿
3. 出生医学证明
办理地点：户籍所在地派出所户籍窗口
设定依据：《中华人民共和国居民身份证法》"""
SBK = """事项名称：社会保障卡申领
实施主体：示范市人力资源和社会保障局
申请材料：居民身份证
办理地点：无线下办理窗口
办理平台：示范市政务服务网
受理条件：参加《中华人民共和国社会保险法》规定的社会保险的人员"""
TWINS = [
    ("dog-a", "事项名称：犬只登记\n实施主体：示范市甲区农业农村局\n申请材料：犬只免疫证明"),
    ("dog-b", "事项名称：犬只登记\n实施主体：示范市乙区农业农村局\n申请材料：犬只照片"),
]


def views(guides: list[tuple[str, str]]) -> list[ServiceView]:
    out = []
    for doc, text in guides:
        g = guide_graph(document_id=doc, url=f"https://zw.example.gov.cn/{doc}.html", title="", text=text)
        assert g is not None
        out.append(ServiceView(g.service, g.attrs, g.neighbours))
    return out


@pytest.fixture(scope="module")
def graph() -> ServiceGraph:
    g = ServiceGraph(default_variants())
    g.load(views([("sfz", SFZ), ("sfz-new", SFZ_NEW), ("sbk", SBK), *TWINS]), 1)
    return g


def test_a_guide_gives_its_service_and_neighbours() -> None:
    g = guide_graph(document_id="sfz", url="https://zw.example.gov.cn/sfz.html", title="", text=SFZ)
    assert g is not None and g.service.id == "service:sfz" and g.service.name == "居民身份证补领"
    by = {(n.relation, n.node.name) for n in g.neighbours}
    assert ("requires_material", "户口簿（原件及复印件）") in by and ("requires_material", "居民身份证原件") in by
    assert ("handled_by", "示范市公安局") in by and ("handled_at", "示范市政务服务中心1楼3号窗口") in by
    assert g.basis_names == ("中华人民共和国居民身份证法", "示范市户籍管理办法")
    assert g.attrs["hours"] == "工作日9:00-17:00"
    # a guide without 设定依据 rests on the laws its conditions cite; a guide naming no service gives nothing
    sbk = guide_graph(document_id="sbk", url="", title="", text=SBK)
    assert sbk is not None and sbk.basis_names == ("中华人民共和国社会保险法",)
    assert guide_graph(document_id="x", url="", title="办事指南", text="正在更新") is None


def test_the_same_material_in_other_words_is_one_node() -> None:
    a = guide_graph(document_id="a", url="", title="", text=SFZ)
    b = guide_graph(document_id="b", url="", title="", text=SFZ_NEW)
    assert a is not None and b is not None
    ids_a = {n.node.id for n in a.neighbours if n.relation == "requires_material"}
    ids_b = {n.node.id for n in b.neighbours if n.relation == "requires_material"}
    assert len(ids_a & ids_b) == 2  # 居民身份证原件 ~ 《居民身份证》复印件, 户口簿（原件及复印件） ~ 户口簿


@pytest.mark.parametrize(
    ("question", "form", "x"),
    [
        ("身份证补办要什么材料", "materials", "身份证补办"),
        ("办社保卡需要带啥", "materials", "办社保卡"),
        ("居民身份证补领所需材料有哪些？", "materials", "居民身份证补领"),
        ("社保卡在哪办", "place", "社保卡"),
        ("去哪里办理居民身份证补领", "place", "居民身份证补领"),
        ("居民身份证补领的依据是什么", "basis", "居民身份证补领"),
        ("社保卡申领根据什么规定", "basis", "社保卡申领"),
        ("那在哪里办理", "place", ""),
    ],
)
def test_the_four_forms_are_read(question: str, form: str, x: str) -> None:
    intent = parse(understand(question).text)
    assert intent is not None and (intent.form, intent.x) == (form, x)


def test_a_comparison_is_cut_at_every_conjunction() -> None:
    intent = parse(understand("办身份证补领和身份证申领有什么区别？").text)
    assert intent is not None and intent.form == "compare"
    assert ("办身份证补领", "身份证申领") in intent.splits
    for other in ("身份证补领需要多久", "社保卡丢了怎么办", "医保和社保是一回事吗"):
        assert parse(understand(other).text) is None, other


def test_materials_in_spoken_words_cite_the_nodes(graph: ServiceGraph) -> None:
    reply = graph.reply("您好，补办身份证要带啥材料？")
    assert reply is not None and reply.kind == "answer"
    assert "居民身份证补领" in reply.text and "户口簿" in reply.text and "近期免冠照片一张" in reply.text
    kinds = {(n.kind, n.name) for n in reply.graph_nodes}
    assert ("service", "居民身份证补领") in kinds and ("material", "近期免冠照片一张") in kinds
    assert reply.basis is not None and reply.basis.url == "https://zw.example.gov.cn/sfz.html"
    assert reply.context.topic == "居民身份证补领"


def test_place_basis_and_a_follow_up(graph: ServiceGraph) -> None:
    online = graph.reply("社保卡在哪办")
    assert online is not None and "没有线下办理窗口" in online.text and "示范市政务服务网" in online.text
    basis = graph.reply("居民身份证补领的依据是什么")
    assert basis is not None and "《中华人民共和国居民身份证法》第十一条" not in basis.text
    assert "《中华人民共和国居民身份证法》" in basis.text and "《示范市户籍管理办法》" in basis.text
    assert {n.kind for n in basis.graph_nodes} == {"service", "basis"}
    follow = graph.reply("那在哪里办理", SessionContext(None, "居民身份证补领", 1))
    assert follow is not None and "1楼3号窗口" in follow.text
    assert graph.reply("那在哪里办理") is None  # nothing discussed yet: the ordinary Q&A asks which matter


@pytest.mark.parametrize(
    ("online", "says", "never"),
    [
        ("是否网办：否", "", "网上办理"),  # once: 也可通过否网上办理 (the answer said yes to a no)
        ("是否网办：是", "也可以网上办理。", "通过是"),
        ("是否网办：是，登录示范市政务服务网申报", "也可以网上办理（是，登录示范市政务服务网申报）。", "通过是"),
        ("网上办理：示范市政务服务网", "也可通过示范市政务服务网网上办理。", "否"),
    ],
    ids=["no", "yes", "yes-in-words", "platform"],
)
def test_where_to_apply_tells_a_no_from_a_yes_online(online: str, says: str, never: str) -> None:
    guide = f"事项名称：犬只年检\n办理地点：示范市政务服务中心2楼5号窗口\n{online}"
    g = ServiceGraph(default_variants())
    g.load(views([("dog-check", guide)]), 1)
    reply = g.reply("犬只年检在哪办")
    assert reply is not None and "2楼5号窗口" in reply.text and says in reply.text, reply and reply.text
    assert never not in reply.text, reply.text


def test_a_comparison_names_what_is_shared_and_what_differs(graph: ServiceGraph) -> None:
    reply = graph.reply("身份证补领和身份证申领有什么区别")
    assert reply is not None and reply.kind == "answer"
    assert "相同的有居民身份证原件、户口簿（原件及复印件）" in reply.text
    assert "仅居民身份证申领：出生医学证明" in reply.text and "实施部门相同：示范市公安局" in reply.text
    assert {n.name for n in reply.graph_nodes if n.kind == "service"} == {"居民身份证补领", "居民身份证申领"}


def test_unknown_services_fall_through_and_ambiguous_ones_ask_back(graph: ServiceGraph) -> None:
    assert graph.reply("营业执照变更需要什么材料") is None
    assert graph.reply("社保卡丢了怎么办") is None
    ask = graph.reply("犬只登记需要什么材料")
    assert ask is not None and ask.kind == "clarify"
    options = [o.question for o in ask.options]
    assert options == [
        "犬只登记（示范市甲区农业农村局）需要什么材料？",
        "犬只登记（示范市乙区农业农村局）需要什么材料？",
    ]
    chosen = graph.reply(options[1])
    assert chosen is not None and chosen.kind == "answer" and "犬只照片" in chosen.text


def test_an_empty_graph_answers_nothing() -> None:
    assert ServiceGraph().reply("居民身份证补领需要什么材料") is None
