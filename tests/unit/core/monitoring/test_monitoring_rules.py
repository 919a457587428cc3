"""Each inspection rule at, below and above its threshold, on hand-made site facts and a fixed clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from core.monitoring.columns import column_type_of
from core.monitoring.facts import parse_letter
from core.monitoring.models import (
    ColumnFact,
    DatedItem,
    DocText,
    Letter,
    LinkCheck,
    LinkFact,
    Probe,
    RuleResult,
    SiteFacts,
    WrongExpression,
)
from core.monitoring.service import scorecard_of
from core.monitoring.thresholds import RULES_BY_NAME

NOW = datetime(2024, 7, 1, 4, 0, tzinfo=UTC)  # 12:00 in Beijing
TODAY = date(2024, 7, 1)


def run(rule: str, facts: SiteFacts, **overrides: float) -> RuleResult:
    r = RULES_BY_NAME[rule]
    return r.evaluate(facts, r.settings(overrides), NOW)


def facts(**kw: object) -> SiteFacts:
    return SiteFacts(site_id="s", site_name="示范市", homepage_url="http://s/", **kw)  # type: ignore[arg-type]


def probes(total: int, failed: int, *, slow: int = 0) -> list[Probe]:
    out = []
    for i in range(total):
        at = NOW - timedelta(hours=1 + i)  # within the week
        if i < failed:
            out.append(Probe(at, False, None, 15000, "timeout"))
        elif i < failed + slow:
            out.append(Probe(at, True, 200, 15_500))
        else:
            out.append(Probe(at, True, 200, 300))
    return out


@pytest.mark.parametrize(("failed", "veto"), [(4, False), (5, True), (6, True)])
def test_unreachable_veto_at_five_percent(failed: int, veto: bool) -> None:
    result = run("site_unreachable", facts(probes=probes(100, failed)))
    assert result.vetoed is veto and len(result.findings) == int(veto)
    if veto:
        assert result.findings[0].evidence["failed"] == failed and result.findings[0].evidence["probes"] == 100


def test_unreachable_counts_slow_pages_and_ignores_old_probes() -> None:
    slow = run("site_unreachable", facts(probes=probes(100, 0, slow=5)))
    assert slow.vetoed, "a page that took over 15 s did not open in time"
    old = [Probe(NOW - timedelta(days=8, hours=i), False) for i in range(50)]
    assert not run("site_unreachable", facts(probes=probes(100, 0) + old)).vetoed


def test_unreachable_with_too_few_probes_keeps_what_it_had() -> None:
    result = run("site_unreachable", facts(probes=probes(19, 19)))
    assert not result.vetoed and not result.findings and result.keep == {"homepage"}
    assert "次数不足" in result.measured


def items(*days_ago: int) -> list[DatedItem]:
    return [DatedItem(f"http://s/a{d}.html", f"信息{d}", TODAY - timedelta(days=d)) for d in days_ago]


@pytest.mark.parametrize(("idle", "stale"), [(13, False), (14, False), (15, True)])
def test_homepage_stale_after_two_weeks(idle: int, stale: bool) -> None:
    result = run("homepage_stale", facts(homepage_items=items(idle, 40)))
    assert result.vetoed is stale
    if stale:
        assert result.findings[0].evidence["newest_date"] == (TODAY - timedelta(days=idle)).isoformat()


def test_navigation_only_homepage_is_judged_by_its_second_level_pages() -> None:
    fresh = run("homepage_stale", facts(homepage_items=[], second_level_items=items(3)))
    assert not fresh.vetoed
    stale = run("homepage_stale", facts(homepage_items=[], second_level_items=items(30)))
    assert stale.vetoed and stale.findings[0].evidence["navigation_only"] is True


def column(i: int, kind: str, idle: int | None, items: int = 10) -> ColumnFact:
    last = TODAY - timedelta(days=idle) if idle is not None else None
    return ColumnFact(id=i, name=f"栏目{i}", type=kind, items=items, last_published=last, list_url=f"http://s/c{i}/")


@pytest.mark.parametrize(("n", "veto"), [(4, False), (5, True), (6, True)])
def test_idle_columns_veto_at_five(n: int, veto: bool) -> None:
    cols = [column(i, "news", 15) for i in range(n)] + [column(99, "news", 14), column(98, "other", 500)]
    result = run("columns_idle", facts(columns=cols))
    assert len(result.findings) == n and result.vetoed is veto
    assert result.deduction == (0 if veto else n * 1.0)


def test_notice_and_policy_columns_may_rest_six_months() -> None:
    cols = [column(1, "notice", 180), column(2, "policy", 181), column(3, "notice", 181)]
    result = run("columns_idle", facts(columns=cols))
    assert sorted(f.column for f in result.findings if f.column) == ["栏目2", "栏目3"]


@pytest.mark.parametrize(("n", "veto"), [(9, False), (10, True), (11, True)])
def test_long_idle_columns_veto_at_ten(n: int, veto: bool) -> None:
    cols = [column(i, "personnel", 366) for i in range(n)] + [column(50, "news", 365), column(51, "other", 999)]
    result = run("columns_long_idle", facts(columns=cols))
    assert len(result.findings) == n and result.vetoed is veto


@pytest.mark.parametrize(("n", "veto"), [(4, False), (5, True), (6, True)])
def test_blank_columns_veto_at_five(n: int, veto: bool) -> None:
    cols = [column(i, "news", None, items=0) for i in range(n)] + [column(50, "news", 3)]
    cols.append(ColumnFact(id=60, name="只在面包屑里出现", type="other", items=0, last_published=None, list_url=None))
    result = run("columns_blank", facts(columns=cols))
    assert len(result.findings) == n and result.vetoed is veto


def link(url: str, *, home: bool, ok: bool | None, age_days: float = 0.1, status: int | None = 404) -> LinkFact:
    check = None
    if ok is not None:
        at = NOW - timedelta(days=age_days)
        error = None if ok else "bad_status"
        check = LinkCheck(url=url, ok=ok, status=200 if ok else status, error=error, elapsed_ms=5, checked_at=at)
    page = "http://s/" if home else "http://s/p.html"
    return LinkFact(page_url=page, url=url, anchor="附件", kind="attachment", on_homepage=home, check=check)


def test_broken_links_on_the_homepage_deduct_a_point_each_up_to_five() -> None:
    links = [link(f"http://s/x{i}.pdf", home=True, ok=False) for i in range(7)] + [
        link("http://s/ok", home=True, ok=True)
    ]
    result = run("homepage_broken_links", facts(links=links))
    assert len(result.findings) == 7 and result.deduction == 5.0 and not result.vetoed
    e = result.findings[0].evidence
    assert e["page"] == "http://s/" and e["status"] == 404 and e["kind"] == "attachment"


def test_other_pages_deduct_a_tenth_and_unchecked_links_are_kept() -> None:
    links = [link("http://s/a", home=False, ok=False), link("http://s/b", home=False, ok=False, status=None),
             link("http://s/c", home=False, ok=None), link("http://s/d", home=False, ok=False, age_days=3)]  # fmt: skip
    result = run("broken_links", facts(links=links))
    assert [f.evidence["link"] for f in result.findings] == ["http://s/a", "http://s/b"]
    assert result.deduction == pytest.approx(0.2)
    assert result.keep == {"http://s/c", "http://s/d"}, "a link finding is keyed by the link"


WRONG = [WrongExpression("社会主意核心价值观", "社会主义核心价值观"), WrongExpression("不忘出心", "不忘初心")]


def test_a_single_wrong_expression_vetoes_and_names_page_and_position() -> None:
    text = "会议要求，要大力弘扬社会主意核心价值观，把要求落到实处。"
    docs = [
        DocText("http://s/n1.html", "要闻动态", "示范市召开会议", text),
        DocText("http://s/n2.html", None, "无误", "社会主义"),
    ]
    result = run("wrong_expressions", facts(documents=docs, wrong_expressions=WRONG))
    assert result.vetoed and len(result.findings) == 1
    e = result.findings[0].evidence
    assert (
        e["page"] == "http://s/n1.html"
        and e["position"] == text.index("社会主意")
        and e["right"] == "社会主义核心价值观"
    )
    assert result.findings[0].column == "要闻动态"
    clean = run("wrong_expressions", facts(documents=docs[1:], wrong_expressions=WRONG))
    assert not clean.vetoed and not clean.findings


def test_wrong_expressions_are_found_in_traditional_script_too() -> None:
    docs = [DocText("http://s/t.html", None, "標題", "弘揚社會主意核心價值觀")]
    result = run("wrong_expressions", facts(documents=docs, wrong_expressions=WRONG))
    assert result.findings[0].evidence["found"] == "社會主意核心價值觀"


@pytest.mark.parametrize(("waiting", "overdue"), [(89, False), (90, False), (91, True)])
def test_letters_unanswered_over_three_months_veto(waiting: int, overdue: bool) -> None:
    letters = [
        Letter("http://s/l1.html", "咨询社保", "互动交流", TODAY - timedelta(days=waiting), None),
        Letter("http://s/l2.html", "已答复", "互动交流", TODAY - timedelta(days=400), TODAY - timedelta(days=390)),
    ]
    result = run("interaction_unanswered", facts(letters=letters))
    assert result.vetoed is overdue and [f.url for f in result.findings] == (["http://s/l1.html"] if overdue else [])


def test_thresholds_are_configurable() -> None:
    assert run("homepage_stale", facts(homepage_items=items(8)), idle_days=7).vetoed
    assert not run("columns_blank", facts(columns=[column(1, "news", None, 0)] * 5), veto_at=6).vetoed


def test_scorecard_fails_on_any_veto_and_deducts_the_rest() -> None:
    links = [link(f"http://s/x{i}", home=True, ok=False) for i in range(2)]
    results = [run("homepage_broken_links", facts(links=links)), run("homepage_stale", facts(homepage_items=items(1)))]
    card = scorecard_of("s", NOW, results)
    assert card.passed and card.score == 98.0
    card = scorecard_of("s", NOW, [*results, run("homepage_stale", facts(homepage_items=items(30)))])
    assert not card.passed and [v.rule for v in card.vetoes] == ["homepage_stale"]


def test_column_types_from_names() -> None:
    assert column_type_of("要闻动态") == "news" and column_type_of("工作动态") == "news"
    assert column_type_of("通知公告") == "notice" and column_type_of("政策文件") == "policy"
    assert column_type_of("政策解读") == "interpretation" and column_type_of("咨询留言") == "interaction"
    assert column_type_of("人事任免") == "personnel" and column_type_of("友情链接") == "other"


def test_letters_read_from_page_text_and_metadata() -> None:
    text = "留言标题\n退休金\n留言人\n王女士\n留言时间\n2024-03-29 09:35\n办理状态\n办理中"
    assert parse_letter("u", "t", None, text, {}) == Letter("u", "t", None, date(2024, 3, 29), None)
    answered = text + "\n回复时间：2024-04-02 10:00"
    assert parse_letter("u", "t", None, answered, {}).replied == date(2024, 4, 2)  # type: ignore[union-attr]
    assert parse_letter("u", "t", None, "", {"asked_at": "2024-01-02"}).asked == date(2024, 1, 2)  # type: ignore[union-attr]
    assert parse_letter("u", "t", None, "没有留言信息", {}) is None
