"""Policy records: 文号 rows (joint issuance split), issuers, dates, validity, audience tags, theme labels."""

from __future__ import annotations

from datetime import date

from core.policy import derive
from core.policy.audience import audience_tags
from core.policy.derive import expiry
from core.policy.taxonomy import normalize_theme, split_theme
from tests.unit.core.policy.factories import document


def test_joint_issuance_gives_one_row_per_doc_no_with_prefix_year_and_number() -> None:
    doc = document("人力资源社会保障部 财政部关于做好失业保险稳岗返还工作的通知",
                   doc_no="人社部发〔2019〕3号、财社[2019]2号", issuer="人力资源社会保障部、财政部",
                   written_date="2019-01-10", published_date="2019-01-15")  # fmt: skip
    rec = derive(doc)
    assert [(d.prefix, d.year, d.number) for d in rec.doc_nos] == [("人社部发", 2019, 3), ("财社", 2019, 2)]
    assert [d.normalized for d in rec.doc_nos] == ["人社部发〔2019〕3号", "财社〔2019〕2号"]
    assert rec.issuers == ("人力资源社会保障部", "财政部")
    assert (rec.written_date, rec.published_date, rec.year) == (date(2019, 1, 10), date(2019, 1, 15), 2019)


def test_order_numbers_and_missing_doc_nos() -> None:
    order = derive(document("国务院关于修改部分行政法规的决定", doc_no="国令第706号", published=date(2018, 12, 29)))
    assert [(d.prefix, d.year, d.number) for d in order.doc_nos] == [("国令", None, 706)]
    assert order.year == 2018  # no year in the 文号: the published date's
    bare = derive(document("示范市养老服务管理办法", published=date(2023, 3, 1)))
    assert bare.doc_nos == () and bare.year == 2023


def test_validity_from_the_page_else_from_the_stated_term() -> None:
    assert derive(document("某办法", validity="废止")).validity_page == "废止"
    text = "本文件自2020年3月1日起施行，有效期3年。"
    assert expiry(text) == date(2023, 3, 1)
    assert expiry("本办法有效期至2026年12月31日。") == date(2026, 12, 31)
    assert expiry("自印发之日起施行。") is None


def test_audience_rules_read_the_title_once_and_the_body_twice() -> None:
    assert audience_tags("关于提高城乡居民基础养老金标准的通知", "") == ["个人", "老年人"]
    assert audience_tags("关于支持小微企业和个体工商户发展的若干措施", "") == ["企业"]
    assert audience_tags("关于做好残疾人两项补贴发放工作的通知", "对重度残疾人给予护理补贴。") == ["残疾人"]
    # One passing mention in the addressees is not enough.
    assert audience_tags("关于开展安全检查的通知", "各有关单位、企业：现将有关事项通知如下。") == []
    assert "学生" in audience_tags("关于做好高校毕业生就业工作的通知", "")
    assert "农民" in audience_tags("关于促进农民增收的意见", "")


def test_theme_labels_keep_the_govcn_form() -> None:
    assert normalize_theme("劳动、人事、监察\\劳动就业") == "劳动、人事、监察\\劳动就业"
    assert normalize_theme(" 科技、教育/教育；其他 ") == "科技、教育\\教育"
    assert normalize_theme("其他") == "其他" and normalize_theme("") is None
    assert split_theme("市场监管、安全生产监管\\工商") == ("市场监管、安全生产监管", "工商")
    assert derive(document("t", theme="卫生、体育\\卫生")).theme == "卫生、体育\\卫生"
