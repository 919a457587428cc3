"""The inspection report for a web office's leadership: one self-contained HTML page (inline CSS and SVG)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from typing import Any

import asyncpg

from core.clock import BEIJING, aware
from core.monitoring.chart import trend_svg
from core.monitoring.content_rules import TYPE_NAMES
from core.monitoring.inventory import SiteInventory, WeekCount, site_inventory, update_trend
from core.monitoring.link_rules import failure_class
from core.monitoring.models import Finding, Scorecard
from core.monitoring.report_evidence import evidence_list
from core.monitoring.service import latest_scorecard
from core.monitoring.store import list_findings
from core.monitoring.thresholds import RULES

STYLE = """
body{margin:0;background:#f4f5f7;color:#222;font:14px/1.7 "Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif}
.page{max-width:980px;margin:0 auto;background:#fff;padding:32px 44px 48px}
h1{font-size:24px;margin:0 0 4px;color:#8c0d14}h2{font-size:18px;margin:32px 0 10px;border-left:4px solid #b5121b;
padding-left:10px}h3{font-size:15px;margin:20px 0 6px}.meta{color:#666;font-size:13px}
.summary{display:flex;gap:16px;margin:20px 0}.tile{flex:1;border:1px solid #e2e2e2;border-radius:6px;padding:12px 16px}
.tile b{display:block;font-size:26px}.fail{color:#b5121b}.pass{color:#1d7a3a}.warn{color:#b86e00}.na{color:#666}
table{width:100%;border-collapse:collapse;font-size:13px;margin:6px 0}th,td{border:1px solid #e2e2e2;padding:5px 8px;
text-align:left;vertical-align:top}th{background:#f7f0f0}td.n{text-align:right;white-space:nowrap}
.url{word-break:break-all;color:#555;font-size:12px}mark{background:#ffe08a}.veto{background:#fdecee}
ul.vetoes li{margin:4px 0}.foot{margin-top:36px;color:#888;font-size:12px}
ul.ev{margin:0;padding:0;list-style:none}ul.ev .k{color:#666}
"""
KIND_NAMES = {
    "news": "新闻",
    "notice": "通知公告",
    "policy": "政策文件",
    "interpretation": "政策解读",
    "service": "办事指南",
    "qa": "问答",
    "article": "文章",
    "column": "栏目页",
    "homepage": "首页",
    "other": "其他",
}
REPORT_PAGES = 5  # pages named beside a link finding in the report
VERDICT = {True: ('<span class="pass">合格</span>'), False: ('<span class="fail">不合格</span>')}
# evidence keys shown first, in this order (a commitment: who, what, by when, how late, where it was said)
SHOWN_FIRST = {
    "tv_commitment_overdue": ("department", "content", "due_on", "days_overdue", "programme", "episode", "aired_on"),
}


@dataclass(frozen=True, kw_only=True)
class ReportData:
    """Everything one report shows, gathered by the caller."""

    site_name: str
    scorecard: Scorecard | None
    findings: list[Finding]
    trend: list[WeekCount]
    inventory: SiteInventory
    generated_at: datetime


async def gather_report(pool: asyncpg.Pool, site_id: str, now: datetime, *, weeks: int = 12) -> ReportData:
    """The latest scorecard, every open finding, the update trend and the inventory of a site."""
    inventory = await site_inventory(pool, site_id, now)
    findings, _ = await list_findings(pool, site_id=site_id, state="open", limit=10_000)
    return ReportData(
        site_name=inventory.site_name,
        scorecard=await latest_scorecard(pool, site_id),
        findings=findings,
        trend=await update_trend(pool, site_id, weeks, now),
        inventory=inventory,
        generated_at=now,
    )


def _local(moment: datetime | None) -> str:
    return (aware(moment).astimezone(UTC) + BEIJING).strftime("%Y-%m-%d %H:%M") if moment else "—"


def _link(url: str | None) -> str:
    return f'<span class="url">{escape(url)}</span>' if url else "—"


def _evidence(f: Finding) -> str:
    e: dict[str, Any] = f.evidence
    if f.rule in ("homepage_broken_links", "broken_links"):
        return _link_evidence(e)
    if f.rule == "wrong_expressions":
        ctx = escape(e.get("context", "")).replace(
            escape(e.get("found", "")), f"<mark>{escape(e.get('found', ''))}</mark>"
        )
        return (
            f"「{escape(e.get('found', ''))}」→「{escape(e.get('right') or '')}」，位置 {e.get('position')}<br>…{ctx}…"
        )
    if f.rule == "interaction_unanswered":
        return _letter_evidence(e)
    if f.rule == "homepage_stale":
        where = "二级页面" if e.get("navigation_only") else "首页"
        return f"{where}最近更新 {e.get('newest_date') or '无'}（{e.get('idle_days') or '—'} 天）"
    if f.rule == "site_unreachable":
        return f"监测 {e.get('probes')} 次，失败 {e.get('failed')} 次（{e.get('ratio', 0):.1%}）"
    if f.rule == "opendata_quality" and not e.get("resource_id"):  # stale: the dataset as a whole
        return f"数据集 {escape(str(e.get('dataset')))}：{escape(str(e.get('detail')))}"
    if f.rule == "opendata_quality":
        return f"资源 {escape(str(e.get('resource_id')))}：{escape(str(e.get('detail')))}（{e.get('count')} 处）"
    if f.rule == "disclosure_stale":
        return _disclosure_evidence(e)
    if f.rule.startswith("columns_"):
        return f"内容 {e.get('items')} 条；最近更新 {e.get('last_published') or '无'}"
    return evidence_list(e, SHOWN_FIRST.get(f.rule, ()))  # a rule without a line of its own: label：value


def _letter_evidence(e: dict[str, Any]) -> str:
    """A letter unanswered for months (waiting_days), or one answered or still open past its deadline (days_late)."""
    if "days_late" not in e:
        return f"留言时间 {e.get('asked')}，已等待 {e.get('waiting_days')} 天"
    replied = f"{e['replied']} 答复" if e.get("replied") else "仍未答复"
    return f"留言时间 {e.get('asked')}，答复期限 {e.get('due')}，{replied}，超期 {e.get('days_late')} 天"


def _disclosure_evidence(e: dict[str, Any]) -> str:
    """A village's last item in the category, or the villages below a township, district or city past their days."""
    if "villages" not in e:
        return f"最近公开 {e.get('last_published') or '无'}，要求 {e.get('max_days')} 天内更新"
    shown = "、".join(f"{escape(str(v.get('name')))}（{v.get('last_published') or '无'}）" for v in e.get("listed", []))
    return (
        f"{e.get('villages')} 个村（社区）：{shown}{' 等' if e.get('villages', 0) > len(e.get('listed', [])) else ''}"
    )


def _link_evidence(e: dict[str, Any]) -> str:
    """The link, why it fails (by cause) and the pages it is on (the first few, and how many in all)."""
    failure = e.get("failure") or failure_class(e.get("status"), e.get("error"))
    out = f"链接：{_link(e.get('link'))}<br>锚文本：{escape(e.get('anchor') or '')}　原因：{escape(failure)}"
    count = int(e.get("page_count") or 1)
    if count > 1:
        shown = "、".join(_link(p) for p in (e.get("pages") or [])[:REPORT_PAGES])
        out += f"<br>见于 {count} 个页面：{shown}{' 等' if count > REPORT_PAGES else ''}"
    return out


def _scorecard(card: Scorecard) -> str:
    rows = []
    for item in card.items:
        if not item.applies:
            result = '<span class="na">不适用</span>'
        elif item.vetoed:
            result = '<span class="fail">单项否决</span>'
        elif item.deduction:
            result = f'<span class="warn">扣 {item.deduction:g} 分</span>'
        else:
            result = '<span class="pass">通过</span>' if item.count == 0 else f"{item.count} 项待整改"
        kind = "单项否决" if item.veto_rule else "扣分"
        rows.append(
            f'<tr class="{"veto" if item.vetoed else ""}"><td>{escape(item.title)}</td><td>{kind}</td>'
            f'<td>{result}</td><td class="n">{item.count if item.applies else "—"}</td>'
            f"<td>{escape(item.measured)}</td></tr>"
        )
    return (
        "<table><tr><th>指标</th><th>类型</th><th>结果</th><th>问题数</th><th>监测情况</th></tr>"
        + "".join(rows)
        + "</table>"
    )


def _findings(findings: list[Finding]) -> str:
    if not findings:
        return "<p>当前没有待整改的问题。</p>"
    out = []
    titles = {r.name: r.title for r in RULES}
    for rule in [r.name for r in RULES]:
        mine = [f for f in findings if f.rule == rule]
        if not mine:
            continue
        rows = "".join(
            f"<tr><td>{escape(f.summary)}</td><td>{_link(f.url)}{'<br>栏目：' + escape(f.column) if f.column else ''}"
            f"</td><td>{_evidence(f)}</td><td class='n'>{_local(f.first_seen)}</td></tr>"
            for f in mine
        )
        out.append(
            f"<h3>{escape(titles[rule])}（{len(mine)} 项）</h3><table><tr><th>问题</th><th>页面</th>"
            f"<th>证据</th><th>首次发现</th></tr>{rows}</table>"
        )
    return "".join(out)


def _inventory(inv: SiteInventory) -> str:
    kinds = "、".join(
        f"{KIND_NAMES.get(k, escape(k))} {n}" for k, n in sorted(inv.by_kind.items(), key=lambda kv: -kv[1])
    )
    rows = "".join(
        f"<tr><td>{escape(c.name)}</td><td>{TYPE_NAMES.get(c.type, escape(c.type))}</td><td class='n'>{c.items}</td>"
        f"<td class='n'>{c.last_published or '—'}</td><td class='n'>{c.updates_last_30_days}</td></tr>"
        for c in inv.columns
    )
    return (
        f"<p>共 {inv.documents} 个页面和文件（{kinds}）；近 30 天更新 {inv.updates_last_30_days} 条，"
        f"最近更新 {inv.last_published or '—'}。</p><table><tr><th>栏目</th><th>类型</th><th>内容数</th>"
        f"<th>最近更新</th><th>近30天更新</th></tr>{rows}</table>"
    )


def render_report(data: ReportData) -> str:
    """The report as one HTML document."""
    card = data.scorecard
    if card is None:
        verdict, score, vetoes = "尚未检查", "—", ""
    else:
        verdict, score = VERDICT[card.passed], f"{card.score:g}"
        vetoes = "".join(f"<li><b>{escape(v.title)}</b>：{escape(v.measured)}</li>" for v in card.vetoes)
    veto_block = f'<ul class="vetoes">{vetoes}</ul>' if vetoes else "<p>没有触发单项否决的指标。</p>"
    weeks = len(data.trend)
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{escape(data.site_name)} 网站检查报告</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{STYLE}</style></head>
<body><div class="page">
<h1>{escape(data.site_name)} 网站检查报告</h1>
<div class="meta">依据《政府网站与政务新媒体检查指标》（国办秘函〔2019〕19号）
· 检查时间 {_local(card.inspected_at if card else None)} · 生成时间 {_local(data.generated_at)}</div>
<div class="summary"><div class="tile">结论<b>{verdict}</b></div><div class="tile">得分<b>{score}</b></div>
<div class="tile">单项否决<b class="{"fail" if vetoes else "pass"}">{len(card.vetoes) if card else 0}</b></div>
<div class="tile">待整改问题<b>{len(data.findings)}</b></div></div>
<h2>单项否决指标</h2>{veto_block}
<h2>检查评分</h2>{_scorecard(card) if card else "<p>尚无检查结果。</p>"}
<h2>近 {weeks} 周更新趋势</h2>{trend_svg(data.trend)}
<h2>栏目与内容</h2>{_inventory(data.inventory)}
<h2>问题清单</h2>{_findings(data.findings)}
<div class="foot">本报告由一网（yiwang）监测平台自动生成；问题在后续检查通过后自动关闭。</div>
</div></body></html>
"""
