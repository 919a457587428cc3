"""A finding's evidence in the inspection report as a reader sees it: Chinese labels, local dates, linked pages."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from html import escape
from typing import Any

from core.clock import BEIJING, aware

# Every evidence key a rule writes (core/monitoring/rules.py, *_rules.py); a key missing here shows as itself.
LABELS = {
    "commitment_id": "承诺编号",
    "department": "责任单位",
    "department_title": "部门",
    "content": "承诺内容",
    "due_on": "办结期限",
    "days_overdue": "逾期",
    "programme": "节目",
    "episode": "期次",
    "aired_on": "播出日期",
    "page": "页面",
    "pages": "所在页面",
    "page_count": "页面数",
    "link": "链接",
    "anchor": "锚文本",
    "kind": "类型",
    "off_site": "外部链接",
    "failure": "原因",
    "status": "状态码",
    "error": "错误",
    "checked_at": "检查时间",
    "title": "标题",
    "field": "字段",
    "position": "位置",
    "found": "发现",
    "right": "应为",
    "context": "上下文",
    "letter_id": "留言编号",
    "asked": "留言时间",
    "due": "答复期限",
    "replied": "答复日期",
    "days_late": "逾期",
    "waiting_days": "已等待",
    "category": "类别",
    "max_days": "更新期限",
    "last_published": "最近更新",
    "days_since": "距今",
    "villages": "村（社区）数",
    "listed": "名单",
    "dataset": "数据集",
    "dataset_id": "数据集编号",
    "resource_id": "资源编号",
    "count": "数量",
    "detail": "说明",
    "found_at": "发现时间",
    "probes": "监测次数",
    "failed": "失败次数",
    "ratio": "失败比例",
    "failures": "失败记录",
    "at": "时间",
    "elapsed_ms": "耗时（毫秒）",
    "newest_date": "最近更新",
    "newest_url": "最新页面",
    "newest_title": "最新标题",
    "idle_days": "未更新",
    "navigation_only": "仅二级页面更新",
    "column": "栏目",
    "type": "栏目类型",
    "items": "内容数",
    "list_url": "栏目页",
    "code": "代码",
    "name": "名称",
}
DAY_KEYS = {"days_overdue", "days_late", "waiting_days", "max_days", "days_since", "idle_days"}
LISTED = 10  # items of a list shown before "等 N 项"
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def _text(value: Any) -> str:
    """One value as escaped HTML: — for nothing, 是/否, Beijing time for a timestamp, a link for a URL."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dict):
        return "（" + "，".join(f"{_label(k)}：{_value(k, v)}" for k, v in value.items()) + "）"
    if isinstance(value, list | tuple):
        shown = "、".join(_text(v) for v in value[:LISTED])
        return shown + (f" 等 {len(value)} 项" if len(value) > LISTED else "")
    text = str(value)
    if _DATETIME.match(text):
        try:
            moment = aware(datetime.fromisoformat(text)).astimezone(UTC) + BEIJING
            return moment.strftime("%Y-%m-%d %H:%M")
        except ValueError:
            pass
    if text.startswith(("http://", "https://")):
        return f'<span class="url">{escape(text)}</span>'
    return escape(text)


def _label(key: str) -> str:
    return LABELS.get(key) or escape(key)


def _value(key: str, value: Any) -> str:
    if key in DAY_KEYS and isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:g} 天"
    if key == "ratio" and isinstance(value, float):
        return f"{value:.1%}"
    return _text(value)


def evidence_list(evidence: dict[str, Any], first: Sequence[str] = ()) -> str:
    """The evidence as a `label：value` list, the keys of `first` in that order, then the others as stored."""
    keys = [k for k in first if k in evidence] + [k for k in evidence if k not in first]
    items = "".join(f'<li><span class="k">{_label(k)}</span>：{_value(k, evidence[k])}</li>' for k in keys)
    return f'<ul class="ev">{items}</ul>'
