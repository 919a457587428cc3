"""The knowledge base answers, clarifies, handles small talk and bad input, and follows a conversation."""

from __future__ import annotations

import pytest

from core.qa.answerer import KnowledgeBase
from core.qa.models import Basis, QaPair, SessionContext
from core.qa.query import understand

GUIDE = Basis("https://zw.example.gov.cn/bsfw/sfz-bl.html", "居民身份证补领", "service")
PAIRS = [
    QaPair(
        id="id-material",
        question="居民身份证补领需要什么材料？",
        answer="本人户口簿原件、近期免冠照片。",
        basis=GUIDE,
        tags=("居民身份证补领",),
    ),
    QaPair(
        id="id-place",
        question="居民身份证补领在哪里办理？",
        answer="户籍所在地派出所户籍窗口。",
        basis=GUIDE,
        tags=("居民身份证补领",),
    ),
    QaPair(
        id="id-fee",
        question="居民身份证补领收费吗？",
        answer="补领收取工本费20元。",
        basis=GUIDE,
        tags=("居民身份证补领",),
    ),
    QaPair(
        id="gjj-withdraw",
        question="住房公积金提取需要哪些条件？",
        answer="购买、建造、翻建、大修自住住房等情形可以提取。",
        basis=Basis("https://gjj.example.gov.cn/zc/1.html", "住房公积金提取管理办法", "policy"),
    ),
    QaPair(
        id="unemployment",
        question="失业保险金在哪里申领？",
        answer="可在人社局网上办事大厅或就近的公共就业服务机构申领。",
        basis=Basis("https://rsj.example.gov.cn/zc/2.html", "失业保险金申领办法", "policy"),
    ),
    QaPair(
        id="social-delay",
        question="受疫情影响的企业可以缓缴社会保险费吗？",
        answer="可以申请缓缴，缓缴期限原则上不超过6个月。",
    ),
    QaPair(
        id="social-delay-hb",
        question="湖北企业缓缴社会保险费的期限是多久？",
        answer="湖北企业缓缴期限最长不超过6个月。",
    ),
    QaPair(
        id="social-delay-sd",
        question="山东企业缓缴社会保险费的期限是多久？",
        answer="山东企业缓缴期限最长不超过6个月。",
    ),
]


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    base = KnowledgeBase()
    base.load(PAIRS, version=1)
    return base


def test_a_paraphrase_gets_the_answer_with_its_basis(kb: KnowledgeBase) -> None:
    reply = kb.reply("公积金提取要满足什么条件")
    assert reply.kind == "answer" and reply.qa_id == "gjj-withdraw"
    assert reply.basis is not None and reply.basis.url == "https://gjj.example.gov.cn/zc/1.html"
    assert 0 < reply.confidence <= 1


def test_typos_pinyin_and_colloquial_words_are_understood(kb: KnowledgeBase) -> None:
    assert kb.reply("失业保险金在哪里申邻").qa_id == "unemployment"
    assert kb.reply("shiye保险金在哪里申领").qa_id == "unemployment"
    assert kb.reply("疫情期间企业社保能缓交吗").qa_id == "social-delay"


def test_greetings_around_a_question_are_ignored(kb: KnowledgeBase) -> None:
    reply = kb.reply("您好，请问失业保险金在哪里申领？谢谢")
    assert reply.kind == "answer" and reply.qa_id == "unemployment"


@pytest.mark.parametrize(("text", "kind"), [("你好", "greeting"), ("谢谢你！", "thanks"), ("好的，再见", "goodbye")])
def test_small_talk_gets_a_friendly_reply(kb: KnowledgeBase, text: str, kind: str) -> None:
    reply = kb.reply(text)
    assert reply.kind == kind and reply.text and reply.qa_id is None


def test_close_answers_make_a_clarifying_question(kb: KnowledgeBase) -> None:
    reply = kb.reply("企业缓缴社会保险费的期限是多久")
    assert reply.kind == "clarify"
    assert {o.qa_id for o in reply.options} >= {"social-delay-hb", "social-delay-sd"}
    assert "哪一个" in reply.text


def test_options_never_repeat_a_question() -> None:
    """Two offices' guides ask the same question: a person sees it once (choosing it asks that text again)."""
    same = "住房公积金缴存登记在哪里办理？"
    pairs = [
        QaPair(id="gjj-a", question=same, answer="市住房公积金管理中心东区管理部。"),
        QaPair(id="gjj-b", question=same, answer="市住房公积金管理中心西区管理部。"),
        QaPair(id="gjj-change", question="住房公积金缴存登记（变更）在哪里办理？", answer="各管理部服务窗口。"),
    ]
    kb = KnowledgeBase()
    kb.load(pairs)
    reply = kb.reply("公积金缴存登记变更")
    shown = [o.question for o in (*reply.options, *reply.related)]
    assert shown and len(shown) == len(set(shown)), reply


def test_a_follow_up_refers_to_the_service_just_discussed(kb: KnowledgeBase) -> None:
    first = kb.reply("身份证补领在哪里办？")
    assert first.qa_id == "id-place" and first.context.topic == "居民身份证补领"
    follow = kb.reply("那需要什么材料？", first.context)
    assert follow.kind == "answer" and follow.qa_id == "id-material"
    assert any(s.url == GUIDE.url for s in follow.services)
    assert kb.reply("要收费吗", follow.context).qa_id == "id-fee"


def test_a_follow_up_without_context_asks_what_it_is_about(kb: KnowledgeBase) -> None:
    reply = kb.reply("那需要什么材料？")
    assert reply.kind == "need_context" and "哪一项" in reply.text


@pytest.mark.parametrize("question", ["怎么办理身份证补领", "如何补领居民身份证", "那身份证补领在哪办", "怎么办理护照"])
def test_a_question_naming_its_subject_is_not_a_follow_up(kb: KnowledgeBase, question: str) -> None:
    """怎么/如何/那 first, yet the question names its matter: answered (or not) on its own, never need_context."""
    reply = kb.reply(question)
    assert reply.kind != "need_context", reply
    if "身份证" in question:
        offered = {reply.qa_id} if reply.kind == "answer" else {o.qa_id for o in reply.options}
        assert offered and offered <= {"id-material", "id-place", "id-fee"}, reply


@pytest.mark.parametrize("question", ["要带户口本吗", "多少钱", "可以网上办理吗", "办理的时候要准备哪些东西"])
def test_a_question_naming_only_an_aspect_or_a_material_is_a_follow_up(kb: KnowledgeBase, question: str) -> None:
    assert kb.reply(question).kind == "need_context"
    first = kb.reply("身份证补领在哪里办？")
    assert kb.reply(question, first.context).kind != "need_context"


@pytest.mark.parametrize("text", ["", "   ", "😀😀🎉", "？？？！！", "\x00\x01"])
def test_empty_or_wordless_input_asks_for_a_question(kb: KnowledgeBase, text: str) -> None:
    reply = kb.reply(text)
    assert reply.kind == "empty" and "请输入" in reply.text


def test_random_junk_falls_back_to_the_hotline(kb: KnowledgeBase) -> None:
    for text in ("asdkjh qwe zxcv", "今天天气怎么样啊", "帮我写一首诗"):
        reply = kb.reply(text)
        assert reply.kind == "fallback" and reply.hotline == "12345" and "12345" in reply.text


def test_sensitive_words_are_refused_politely(kb: KnowledgeBase) -> None:
    reply = kb.reply("你们这帮傻 逼，失业金在哪领")
    assert reply.kind == "refused" and reply.qa_id is None and "12345" in reply.text


def test_a_very_long_question_is_answered_from_its_start(kb: KnowledgeBase) -> None:
    reply = kb.reply("失业保险金在哪里申领？" + "我想知道。" * 5000)
    assert reply.kind == "answer" and reply.qa_id == "unemployment"


def test_retired_and_edited_pairs_change_answers_at_once() -> None:
    base = KnowledgeBase()
    base.load(PAIRS, version=1)
    base.load(
        [QaPair(id="unemployment", question="失业保险金在哪里申领？", answer="新地址：市民中心三楼。")], version=2
    )
    assert base.reply("失业保险金在哪里申领").text == "新地址：市民中心三楼。"
    base.load([QaPair(id="unemployment", question="失业保险金在哪里申领？", answer="x", status="retired")], version=3)
    assert base.reply("失业保险金在哪里申领").qa_id != "unemployment" and base.version == 3


def test_context_is_kept_when_nothing_was_answered(kb: KnowledgeBase) -> None:
    context = SessionContext("id-place", "居民身份证补领", 1)
    assert kb.reply("谢谢", context).context == context


@pytest.mark.parametrize(
    "text",
    [
        "你好呀，问个事，失业保险金在哪里申领",
        "工作人员您好，我想了解一下失业保险金在哪里申领",
        "打扰了，请教一下：失业保险金在哪里申领？多谢了",
        "失业保险金在哪里申领？麻烦告知一下，谢谢您的解答",
    ],
)
def test_greetings_and_openings_around_a_question_are_set_aside(kb: KnowledgeBase, text: str) -> None:
    assert understand(text).text.rstrip("?？") == "失业保险金在哪里申领"
    assert kb.reply(text).qa_id == "unemployment"


def test_a_spoken_yes_no_question_ending_in_bu_reads_as_ma() -> None:
    assert understand("机票退了要钱不，退票免费不").text == "机票退了要钱吗,退票免费吗"
    assert understand("不收费吗").text == "不收费吗"
    assert understand("咨询电话是多少").text == "咨询电话是多少"  # a bare 咨询 is the subject, not an opening


def test_a_pinyin_word_only_an_answer_uses_is_understood() -> None:
    kb = KnowledgeBase()
    kb.load([*PAIRS, QaPair(id="care", question="困难群众怎么照顾？", answer="对特困人员实行集中托养。")])
    assert kb.reply("特困人员能tuoyang吗").qa_id == "care"
