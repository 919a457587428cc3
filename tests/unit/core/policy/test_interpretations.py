"""Interpretation pages beyond their title (URL column, transcript form, 电视问政), their content fields, what a
policy replaces, and the sentence diff between two versions."""

from __future__ import annotations

from core.policy.explainers import content_of
from core.policy.links import explaining_kind
from core.policy.versions import MAX_ITEMS, replaced_refs, sentence_diff

TRANSCRIPT = (
    "主持人：各位记者朋友，上午好。\n新华社记者：补贴什么时候发放？\n张明：每季度发放一次。\n"
    "示范日报记者：哪些人可以申领？\n张明：年满80周岁的本市户籍老年人。\n"
)


def test_kinds_from_url_form_and_column() -> None:
    assert explaining_kind("第三期节目", None, "news", url="https://a.gov.cn/dswz/3.html") == ("response", "电视问政")
    assert explaining_kind("《问政》直播：停车难怎么办", None, "news") == ("response", "电视问政")
    assert explaining_kind("稳岗返还政策", None, "news", url="https://a.gov.cn/zcjd/tujie/1.html") == (
        "interpretation",
        "图解",
    )
    # a transcript in a 政策解读 column is a 新闻发布会 even when its title does not say so
    assert explaining_kind("养老补贴政策", None, "news", url="https://a.gov.cn/zcjd/9.html", text=TRANSCRIPT) == (
        "interpretation",
        "新闻发布会",
    )
    assert explaining_kind("养老补贴政策", None, "news", url="https://a.gov.cn/zcjd/9.html", text="正文。") == (
        "interpretation",
        "文字解读",
    )
    assert explaining_kind("养老补贴政策", "电视问政", "news") == ("response", "电视问政")
    # a 统计 or 街道 path is not an explaining column
    assert explaining_kind("一季度经济运行情况", None, "news", url="https://a.gov.cn/tj/jd/1.html") is None


def test_content_fields_from_sections_and_labelled_lines() -> None:
    text = (
        "关键词：稳岗返还、中小微企业\n一、起草背景\n为落实稳就业部署，制定本办法。\n二、主要内容\n返还60%。\n"
        "三、与原政策相比有哪些变化？中小微企业返还比例由50%提高到60%。\n"
    )
    c = content_of("关于《稳岗返还办法》的解读", text)
    assert c.keywords == ("稳岗返还", "中小微企业")
    assert c.background == "为落实稳就业部署，制定本办法。"
    assert c.stated_changes == "中小微企业返还比例由50%提高到60%。"
    labelled = content_of("图解", "背景：人口老龄化加快。\n主要变化：补贴由100元提高到200元。")
    assert (labelled.background, labelled.stated_changes) == ("人口老龄化加快。", "补贴由100元提高到200元。")
    assert content_of("通知", "正文只有一句。").background == ""


def test_what_a_policy_replaces() -> None:
    text = "第九条 本办法自2024年3月1日起施行。《示范市稳岗返还办法》（示人社发〔2019〕5号）同时废止。"
    refs = replaced_refs("示范市稳岗返还实施办法", text, ("示范市稳岗返还实施办法",))
    assert refs.doc_nos == ("示人社发〔2019〕5号",) and refs.names == ("示范市稳岗返还办法",)
    assert replaced_refs("关于修订《示范市养老服务办法》的通知", "正文。").names == ("示范市养老服务办法",)
    # naming a law as the basis is not replacing it
    assert replaced_refs("示范市办法", "根据《中华人民共和国就业促进法》制定本办法。") == replaced_refs("x", "")


def test_sentence_diff_pairs_changes_and_caps_lists() -> None:
    old = "第一条 总则。\n第二条 按50%返还。\n第三条 旧的条款被删除了。\n第四条 自2019年起施行。"
    new = "第一条 总则。\n第二条 按60%返还。\n第三条 新增培训用途。\n第四条 自2024年起施行。"
    d = sentence_diff(old, new)
    assert [(c.before, c.after) for c in d.changed] == [
        ("第二条 按50%返还。", "第二条 按60%返还。"),
        ("第四条 自2019年起施行。", "第四条 自2024年起施行。"),
    ]
    assert d.removed == ["第三条 旧的条款被删除了。"] and d.added == ["第三条 新增培训用途。"]
    assert d.unchanged == 1 and not d.truncated
    many = sentence_diff("", "".join(f"第{i}条 新规定{i}。" for i in range(MAX_ITEMS + 5)))
    assert len(many.added) == MAX_ITEMS and many.truncated
    assert sentence_diff(old, old).changed == [] and sentence_diff(old, old).unchanged == 4
