"""A service guide's text → its service node and neighbours: materials, conditions, places, department, bases."""

from __future__ import annotations

import hashlib
import re

from core.qa.graph.models import MAX_NAME, GraphNode, GuideGraph, Neighbour
from core.qa.guides import LABELS as QA_LABELS
from core.textzh import fold

LABELS: dict[str, tuple[str, ...]] = {
    **QA_LABELS,
    "department": ("实施主体", "实施机关", "办理部门", "受理部门", "责任部门", "主管部门"),
    "basis": ("设定依据", "法律依据", "办理依据", "政策依据", "实施依据"),
    "platform": ("办理平台", "网办平台", "网上办理平台"),
}
_OTHER = ("办理流程", "温馨提示", "办理对象", "服务对象", "事项类型", "办件类型", "主题分类")
_FIELD_OF = {label: f for f, labels in LABELS.items() for label in labels}
_FIELD_OF.update({label: "" for label in _OTHER})
_LINE = re.compile(r"^\s*(" + "|".join(sorted(_FIELD_OF, key=len, reverse=True)) + r")\s*[:：]?\s*(.*)$")
_TITLE_TAIL = re.compile(r"(?:办事|服务|办理|申报)指南$")
_NUMBERING = re.compile(r"^\s*(?:\d{1,2}\s*[.、．)）]|[(（]\d{1,2}[)）]|[一二三四五六七八九十]{1,3}、|[①-⑳])\s*")
_TRAIL = re.compile(r"[\s；;。,，、]+$")
_NONE = frozenset(("无", "暂无", "无需", "不需要", "null", "none", "-"))
_BOOK = re.compile(r"《([^《》]{2,80})》")
_LAWLIKE = re.compile(r"(?:法|条例|规定|办法|细则|决定|规则|意见|通知|标准|规范|规程|目录)(?:[(（].{1,12}[)）])?$")
# what a material's key leaves out so that 居民身份证原件 and 《居民身份证》(复印件) are one node
_MATERIAL_NOISE = re.compile(
    r"[(（][^()（）]{0,40}[)）]|《|》|原件及复印件|原件和复印件|原件或复印件|复印件|原件|一式[一二三四五六七八九十\d]+份|\d+份"
)


def fields_of(text: str) -> dict[str, list[str]]:
    """Labelled fields: `label：value` on a line, or a label alone on its line taking the lines below."""
    found: dict[str, list[str]] = {}
    current = ""
    for line in text.splitlines():
        m = _LINE.match(line)
        if m:
            current = _FIELD_OF[m.group(1)]
            value = m.group(2).strip()
            if current and value:
                found.setdefault(current, []).append(value)
        elif current and line.strip():
            found.setdefault(current, []).append(line.strip())
    return found


def clean(value: str) -> str:
    """A list item without its numbering and trailing punctuation."""
    return _TRAIL.sub("", _NUMBERING.sub("", value.strip())).strip()[:MAX_NAME]


def key_of(kind: str, name: str) -> str:
    """The identity of a shared node: its kind and folded name (materials without 原件/复印件 and notes)."""
    text = fold(name)
    if kind == "material":
        text = _MATERIAL_NOISE.sub("", text).strip() or text
    return f"{kind}:{hashlib.sha1(text.encode()).hexdigest()[:20]}"


def _items(values: list[str]) -> list[str]:
    out = []
    for v in values:
        item = clean(v)
        if item and fold(item) not in _NONE:
            out.append(item)
    return list(dict.fromkeys(out))


def basis_names(values: list[str], conditions: list[str]) -> list[str]:
    """The bases a guide names: the 《…》 titles of its 设定依据 (or the line itself), else the laws its conditions
    cite."""
    if values:
        names = [m for v in values for m in _BOOK.findall(v)]
        return list(dict.fromkeys(names or _items(values)))
    cited = [m for c in conditions for m in _BOOK.findall(c) if _LAWLIKE.search(m)]
    return list(dict.fromkeys(cited))


def _neighbours(fields: dict[str, list[str]]) -> list[Neighbour]:
    conditions = _items(fields.get("conditions", []))
    groups = (
        ("requires_material", "material", _items(fields.get("materials", []))),
        ("has_condition", "condition", conditions),
        ("handled_at", "place", _items([p.removeprefix("办理地点：") for p in fields.get("place", [])])),
        ("handled_by", "department", _items(fields.get("department", []))),
        ("based_on", "basis", basis_names(fields.get("basis", []), conditions)),
    )
    out: list[Neighbour] = []
    for relation, kind, names in groups:
        seen: set[str] = set()
        for position, name in enumerate(names):
            key = key_of(kind, name)
            if key not in seen:
                seen.add(key)
                out.append(Neighbour(relation, GraphNode(kind, name, key), position))
    return out


def guide_graph(*, document_id: str, url: str, title: str, text: str) -> GuideGraph | None:
    """The service a guide describes with its neighbours; None when the guide names no service."""
    fields = fields_of(text)
    item = clean((fields.get("item") or [_TITLE_TAIL.sub("", title).strip()])[0])
    if not item:
        return None
    attrs = {
        name: "；".join(fields[name])[:500]
        for name in ("hours", "time_limit", "fee", "phone", "online", "platform")
        if fields.get(name)
    }
    neighbours = _neighbours(fields)
    return GuideGraph(
        service=GraphNode("service", item, f"service:{document_id}", url),
        attrs=attrs,
        neighbours=tuple(neighbours),
        basis_names=tuple(n.node.name for n in neighbours if n.relation == "based_on"),
    )
