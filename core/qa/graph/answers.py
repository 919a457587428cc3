"""The text of a graph answer: materials, place, basis, or two services compared, and the nodes it cites."""

from __future__ import annotations

import re

from core.qa.graph.extract import key_of
from core.qa.graph.models import GraphNode, ServiceView
from core.qa.guides import ONLINE_YES

NO_WINDOW = "无线下办理窗口"
ONLINE_NO = re.compile(r"^(?:否|不|暂不|暂未|未|无|没有)")
BARE_YES = re.compile(r"(?:是|可以|可|支持|全程网办|已开通)[。.；;]?")
_LIST_MAX = 30


def _numbered(nodes: list[GraphNode]) -> str:
    return "；".join(f"{i + 1}. {n.name}" for i, n in enumerate(nodes[:_LIST_MAX]))


def _contact(s: ServiceView) -> str:
    dept = "、".join(n.name for n in s.of("handled_by"))
    phone = s.attrs.get("phone")
    parts = [f"实施部门：{dept}" if dept else "", f"咨询电话：{phone}" if phone else ""]
    return "".join(p + "。" for p in parts if p)


def materials(s: ServiceView) -> tuple[str, list[GraphNode]]:
    needed = s.of("requires_material")
    if not needed:
        text = f"{s.node.name}的办事指南没有列出申请材料。" + (_contact(s) or "可拨打12345政务服务便民热线咨询。")
        return text, [s.node, *s.of("handled_by")]
    return f"办理{s.node.name}需要以下材料：{_numbered(needed)}。{_contact(s)}", [s.node, *needed]


def _online(s: ServiceView) -> str | None:
    """How to apply online, from the guide; None when it says no (是否网办：否) or nothing. A 是否网办 value is
    mostly a bare yes or no, which is not the name of a platform to apply through."""
    platform, online = s.attrs.get("platform"), s.attrs.get("online", "").strip()
    if platform:
        return f"可通过{platform}网上办理"
    if not online or ONLINE_NO.match(online):
        return None
    if ONLINE_YES.match(online):
        return "可以网上办理" if BARE_YES.fullmatch(online) else f"可以网上办理（{online}）"
    return f"可通过{online}网上办理"  # a platform or address under a 网上办理 label


def place(s: ServiceView) -> tuple[str, list[GraphNode]]:
    places = s.of("handled_at")
    online = _online(s)
    offline = [p for p in places if p.name != NO_WINDOW]
    if not offline:
        how = online or "请通过网上办理渠道申办"
        lead = f"{s.node.name}没有线下办理窗口，{how}。" if places else f"{s.node.name}的办事指南没有写明办理地点。"
        return lead + _contact(s), [s.node, *places, *s.of("handled_by")]
    hours = s.attrs.get("hours")
    text = f"{s.node.name}的办理地点：{'；'.join(p.name for p in offline)}。"
    text += (f"办理时间：{hours}。" if hours else "") + (f"也{online}。" if online else "")
    return text + _contact(s), [s.node, *offline, *s.of("handled_by")]


def basis(s: ServiceView) -> tuple[str, list[GraphNode]]:
    bases, policies = s.of("based_on"), s.of("related_policy")
    if not bases:
        return f"{s.node.name}的办事指南没有写明设定依据。{_contact(s)}", [s.node, *s.of("handled_by")]
    text = f"{s.node.name}的设定依据：{'；'.join(_titled(b.name) for b in bases)}。"
    if policies:
        text += f"政策文件库中的相关政策：{'；'.join(_titled(p.name) for p in policies)}。"
    return text, [s.node, *bases, *policies]


def _titled(name: str) -> str:
    return name if name.startswith("《") or len(name) > 60 else f"《{name}》"


def _split(
    a: list[GraphNode], b: list[GraphNode], kind: str
) -> tuple[list[GraphNode], list[GraphNode], list[GraphNode]]:
    keys_a = {key_of(kind, n.name) for n in a}
    keys_b = {key_of(kind, n.name) for n in b}
    same = [n for n in a if key_of(kind, n.name) in keys_b]
    return (
        same,
        [n for n in a if key_of(kind, n.name) not in keys_b],
        [n for n in b if key_of(kind, n.name) not in keys_a],
    )


def _names(nodes: list[GraphNode]) -> str:
    return "、".join(n.name for n in nodes[:_LIST_MAX]) or "无"


def compare(x: ServiceView, y: ServiceView) -> tuple[str, list[GraphNode]]:
    """What two services share and where they differ: materials, conditions, places, departments."""
    lines = [f"{x.node.name}与{y.node.name}的比较："]
    cited = [x.node, y.node]
    for relation, kind, label in (
        ("requires_material", "material", "申请材料"),
        ("has_condition", "condition", "受理条件"),
        ("handled_at", "place", "办理地点"),
        ("handled_by", "department", "实施部门"),
    ):
        a, b = x.of(relation), y.of(relation)
        if not a and not b:
            continue
        same, only_x, only_y = _split(a, b, kind)
        if not only_x and not only_y:
            lines.append(f"{label}相同：{_names(same)}。")
        else:
            common = f"相同的有{_names(same)}；" if same else "没有相同的；"
            lines.append(f"{label}：{common}仅{x.node.name}：{_names(only_x)}；仅{y.node.name}：{_names(only_y)}。")
        cited += [*same, *only_x, *only_y]
    if len(lines) == 1:
        lines.append("两项事项的办事指南都没有列出材料、条件或办理地点，无法比较。")
    return "\n".join(lines), list(dict((n.id, n) for n in cited).values())
