"""Pairs from a service guide: materials, conditions, place and hours, time limit, online, fee; each cites the guide."""

from __future__ import annotations

from core.qa.guides import guide_pairs

GUIDE = """事项名称
养老机构备案（个人办理）
实施主体
市民政局
申请材料
银行卡复印件
户口簿
《养老机构备案（个人办理）申请表》
办理地点
示范市政务服务中心4楼33号综合窗口
办理时间
工作日上午9:00—12:00
办理时限
承诺办结时限2个工作日
收费标准
不收费
咨询电话
0999-84651078
是否网办
是
办理流程：申请人提交申请—窗口受理—办结。"""


def test_each_guide_field_becomes_a_question_citing_the_guide() -> None:
    found = guide_pairs(document_id="d1", url="https://x.gov.cn/1.html", title="养老机构备案办事指南", text=GUIDE)
    pairs = {p.id.removeprefix("guide-d1-"): p for p in found}
    assert set(pairs) == {"materials", "place", "time_limit", "online", "fee"}
    m = pairs["materials"]
    assert m.question == "办理养老机构备案（个人办理）需要什么材料？"
    assert "1. 银行卡复印件" in m.answer and "3. 《养老机构备案（个人办理）申请表》" in m.answer
    assert "实施主体" not in m.answer and "市民政局" not in pairs["place"].answer
    assert m.basis.url == "https://x.gov.cn/1.html" and m.basis.kind == "service" and m.source == "guide"
    assert "工作日上午9:00" in pairs["place"].answer and pairs["online"].answer.startswith(
        "养老机构备案（个人办理）可以"
    )
    assert "不收费" in pairs["fee"].answer and "0999-84651078" in pairs["fee"].answer


def test_a_guide_without_fields_gives_nothing_to_ask() -> None:
    assert guide_pairs(document_id="d2", url="https://x.gov.cn/2.html", title="办事指南", text="正在更新") == []
