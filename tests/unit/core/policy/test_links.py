"""Explaining pages: their kind (解读, 图解, 发布会, 回应 …) and the 文号 and 《title》 that link them to a policy."""

from __future__ import annotations

from core.policy.links import explaining, explaining_kind, name_key, policy_names


def test_kinds_of_explaining_pages() -> None:
    assert explaining_kind("一图读懂《示范市门诊共济保障工作方案》", None, "news") == ("interpretation", "图解")
    assert explaining_kind("视频解读：稳就业十条", None, "news") == ("interpretation", "视频解读")
    assert explaining_kind("市人社局负责人就《就业补贴办法》答记者问", None, "interpretation") == (
        "interpretation", "新闻发布会")  # fmt: skip
    assert explaining_kind("专家解读：新政如何惠及小微企业", None, "news") == ("interpretation", "媒体解读")
    assert explaining_kind("关于网传“社保断缴清零”的回应", None, "news") == ("response", "热点回应")
    assert explaining_kind("关于《示范市养老服务办法》的解读", None, "interpretation") == ("interpretation", "文字解读")
    assert explaining_kind("示范市召开全市安全生产工作会议", "要闻动态", "news") is None


def test_list_pages_explain_nothing() -> None:
    """The 政策解读 column's list page was a 文字解读 of every policy it listed (its title, column, path say 解读)."""
    listing = "关于《示范市门诊共济保障工作方案》的解读\n2026-08-02\n一图读懂《示范市养老服务办法》\n2026-07-13"
    for url in ("http://x.gov.cn/zcjd/", "http://x.gov.cn/zcjd/index_1.html"):
        assert explaining_kind("政策解读", "政策解读", "column", url=url, text=listing) is None
        assert explaining("政策解读", listing, "政策解读", "column", url=url) is None
    assert explaining_kind("政策解读", None, "homepage", url="http://x.gov.cn/") is None
    assert explaining_kind("关于《示范市养老服务办法》的解读", "政策解读", "interpretation") is not None


def test_mentions_by_doc_no_and_title_in_the_lead() -> None:
    found = explaining(
        "关于《示范市门诊共济保障工作方案》的解读",
        "近日，示范市人民政府办公室印发了《示范市门诊共济保障工作方案》（示政办发（2022）12号）。为便于……",
        "政策解读", "interpretation",
    )  # fmt: skip
    assert found is not None and found.kind == "文字解读"
    assert found.doc_nos == ("示政办发〔2022〕12号",)
    assert found.titles == (name_key("示范市门诊共济保障工作方案"),)


def test_a_notice_carrying_a_document_is_named_by_either_title() -> None:
    names = policy_names("关于印发《示范市企业开办一日办结工作方案》的通知")
    assert name_key("示范市企业开办一日办结工作方案") in names
    assert name_key("关于印发《示范市企业开办一日办结工作方案》的通知") in names


def test_news_naming_nothing_is_not_linked() -> None:
    assert explaining("政策解读进社区活动举行", "活动现场气氛热烈。", "要闻动态", "news") is None
