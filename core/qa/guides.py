"""Question-answer pairs drawn from a service guide (办事指南): materials, place, time limit, online, fees."""

from __future__ import annotations

import re

from core.qa.models import Basis, QaPair

# field -> labels guides use for it
LABELS: dict[str, tuple[str, ...]] = {
    "item": ("事项名称", "服务事项", "办理事项"),
    "conditions": ("受理条件", "申请条件", "办理条件"),
    "materials": ("申请材料", "所需材料", "办理材料", "申报材料", "提交材料"),
    "place": ("办理地点", "受理地点", "办公地点", "窗口地址"),
    "hours": ("办理时间", "受理时间", "办公时间"),
    "time_limit": ("办理时限", "承诺时限", "办结时限", "承诺办结时限"),
    "fee": ("收费标准", "是否收费", "收费情况", "收费依据"),
    "online": ("是否网办", "网上办理", "是否可网办", "在线办理"),
    "phone": ("咨询电话", "咨询方式", "联系电话"),
}
_LABEL_OF = {label: f for f, labels in LABELS.items() for label in labels}
_LINE = re.compile(r"^\s*(" + "|".join(sorted(_LABEL_OF, key=len, reverse=True)) + r")\s*[:：]?\s*(.*)$")
_OTHER_LABEL = re.compile(r"^\s*[\u4e00-\u9fff]{2,6}\s*[:：]")
_BARE_OTHER = frozenset(
    ("实施主体", "办理流程", "设定依据", "办理对象", "服务对象", "事项类型", "办件类型", "温馨提示")
)
_TITLE_TAIL = re.compile(r"(?:办事|服务|办理|申报)指南$")
ONLINE_YES = re.compile(r"^(?:是|可以|可|支持|全程网办|已开通)")  # a 是否网办 value that means yes
QUESTIONS = {
    "materials": "办理{item}需要什么材料？",
    "conditions": "办理{item}需要什么条件？",
    "place": "{item}在哪里办理？",
    "time_limit": "办理{item}需要多长时间？",
    "online": "{item}可以网上办理吗？",
    "fee": "办理{item}收费吗？",
}


def guide_fields(text: str) -> dict[str, list[str]]:
    """Labelled fields of a guide's text; a label alone on its line takes the lines below it."""
    fields: dict[str, list[str]] = {}
    current: str | None = None
    for line in text.splitlines():
        m = _LINE.match(line)
        if m:
            current = _LABEL_OF[m.group(1)]
            fields.setdefault(current, [])
            if m.group(2).strip():
                fields[current].append(m.group(2).strip())
        elif current and line.strip() and not _OTHER_LABEL.match(line) and line.strip() not in _BARE_OTHER:
            fields[current].append(line.strip())
        elif _OTHER_LABEL.match(line) or line.strip() in _BARE_OTHER:
            current = None
    return {k: v for k, v in fields.items() if v}


def _answer(field: str, values: list[str], fields: dict[str, list[str]], item: str) -> str:
    if field == "materials" or field == "conditions":
        head = "申请材料" if field == "materials" else "受理条件"
        return f"{head}：" + "；".join(f"{i + 1}. {v.rstrip('；;。')}" for i, v in enumerate(values)) + "。"
    if field == "place":
        hours = "；".join(fields.get("hours", []))
        return f"办理地点：{'；'.join(values)}" + (f"。办理时间：{hours}" if hours else "") + "。"
    if field == "online":
        yes = bool(ONLINE_YES.match(values[0]))
        return f"{item}{'可以' if yes else '暂不支持'}网上办理（是否网办：{values[0]}）。"
    label = {"time_limit": "办理时限", "fee": "收费标准"}[field]
    return f"{label}：{'；'.join(values)}。"


def guide_pairs(*, document_id: str, url: str, title: str, text: str) -> list[QaPair]:
    """The pairs a guide answers, each citing the guide; ids are stable per document."""
    fields = guide_fields(text)
    item = (fields.get("item") or [_TITLE_TAIL.sub("", title).strip()])[0]
    if not item:
        return []
    basis = Basis(url, item, "service")
    phone = "；".join(fields.get("phone", []))
    pairs = []
    for field, template in QUESTIONS.items():
        values = fields.get(field)
        if not values:
            continue
        answer = _answer(field, values, fields, item) + (f"咨询电话：{phone}。" if phone else "")
        pairs.append(
            QaPair(
                id=f"guide-{document_id}-{field}",
                question=template.format(item=item),
                answer=answer[:20_000],
                basis=basis,
                tags=(item,),
                status="active",
                source="guide",
            )
        )
    return pairs
