"""The fields of a service guide (办事指南) the hall shows: materials, conditions, time limit, fee, hotline."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from core.halls.models import ServiceGuide

TITLE_TAILS = ("办事指南", "服务指南", "办理指南")
LABELS: dict[str, tuple[str, ...]] = {
    "item": ("事项名称", "服务事项", "办理事项"),
    "conditions": ("受理条件", "申请条件", "办理条件"),
    "materials": ("申请材料", "所需材料", "办理材料", "提交材料"),
    "place": ("办理地点", "受理地点", "窗口地址"),
    "hours": ("办理时间", "受理时间", "办公时间"),
    "time_limit": ("办理时限", "承诺时限", "办结时限"),
    "fee": ("收费标准", "是否收费", "收费情况"),
    "phone": ("咨询电话", "咨询方式", "联系电话"),
    "online": ("是否网办", "网上办理"),
    "other": ("实施主体", "办理流程", "设定依据", "温馨提示", "办理对象"),
}
_FIELD_OF = {label: name for name, labels in LABELS.items() for label in labels}
_LINE = re.compile(r"^\s*(" + "|".join(sorted(_FIELD_OF, key=len, reverse=True)) + r")\s*[:：]?\s*(.*)$")


def guide_titles(service_ids: Sequence[str]) -> list[str]:
    """The document titles a service id (事项名称) may carry."""
    return [f"{s}{tail}" for s in service_ids for tail in ("", *TITLE_TAILS)]


def service_id_of(title: str) -> str:
    """The 事项名称 of a guide's title: the title without its 办事指南 tail."""
    for tail in TITLE_TAILS:
        if title.endswith(tail):
            return title[: -len(tail)].strip()
    return title.strip()


def fields_of(text: str) -> dict[str, list[str]]:
    """Labelled fields: `label：value` on one line, or a label alone on its line taking the lines below."""
    found: dict[str, list[str]] = {}
    current: str | None = None
    for line in text.splitlines():
        m = _LINE.match(line)
        if m:
            current = _FIELD_OF[m.group(1)]
            found.setdefault(current, [])
            if m.group(2).strip():
                found[current].append(m.group(2).strip())
        elif current and line.strip():
            found[current].append(line.strip())
    return found


def guide_from(*, document_id: str, url: str, title: str, text: str, attachments: list[dict[str, Any]]) -> ServiceGuide:
    f = fields_of(text)
    forms = tuple((str(a.get("name") or a.get("title") or ""), str(a.get("url", ""))) for a in attachments)
    return ServiceGuide(
        id=service_id_of(title),
        document_id=document_id,
        title=title,
        url=url,
        materials=tuple(f.get("materials", ())),
        conditions=tuple(f.get("conditions", ())),
        time_limit="；".join(f.get("time_limit", ())),
        fee="；".join(f.get("fee", ())),
        phone="；".join(f.get("phone", ())),
        hours="；".join(f.get("hours", ())),
        forms=tuple(x for x in forms if x[1]),
    )
