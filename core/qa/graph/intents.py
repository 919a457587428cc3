"""The four questions the service graph answers, read from a cleaned question: materials, place, basis, compare."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Form = Literal["materials", "place", "basis", "compare"]

_Q = r"(?:呢|吗|啊|呀|哈|哦)?[?？。.!！~\s]*$"
_WHAT = r"(?:什么|什麼|什么样的|哪些|那些|哪样|些什么|哪几样|哪几种)"
_NEED = r"(?:的话)?(?:都|一般|具体|大概)?(?:需要|要|得|须|需|应该|应当|必须)"
_BRING = r"(?:准备|提交|提供|带|携带|交|拿|备|递交|上传)"
_MATERIAL = r"(?:材料|资料|证件|证明材料|证明|东西|文件|手续|资料清单)"
_MATERIALS = (
    re.compile(rf"^(?P<x>.+?){_NEED}?{_BRING}?(?:些)?{_WHAT}{_MATERIAL}{_Q}"),
    re.compile(rf"^(?P<x>.+?){_NEED}?{_BRING}(?:些)?{_WHAT}{_Q}"),
    re.compile(
        rf"^(?P<x>.+?)(?:的)?(?:所需|申请|申报|办理|需要的|要的|要交的|要带的)(?:的)?材料(?:清单|目录)?"
        rf"(?:有哪些|是什么|都有什么|有什么|包括什么|包括哪些)?{_Q}"
    ),
    re.compile(rf"^(?P<x>.+?)(?:的)?材料(?:清单|目录)?(?:有哪些|是什么|都有什么|有什么|包括什么|包括哪些){_Q}"),
)
_WHERE = r"(?:哪里|哪儿|哪|什么地方|何处|哪个地方|哪个窗口|哪个部门|什么部门)"
_DO = r"(?:去)?(?:办理|办|申请|申办|受理|提交|递交|交材料)?"
_PLACE = (
    re.compile(rf"^(?P<x>.+?)(?:应该|应当|要|需要|可以|得|能|一般)?(?:去|到|在)?{_WHERE}{_DO}{_Q}"),
    re.compile(rf"^(?P<x>.+?)(?:的)?(?:办理|受理)?(?:地点|地址|窗口)(?:在哪里?|在哪儿|是哪里|是什么|是哪|有哪些)?{_Q}"),
    re.compile(rf"^(?:应该|应当|要|需要|可以|得|能)?(?:去|到|在){_WHERE}(?:办理|办|申请|申办)(?P<x>.+?){_Q}"),
)
_BASIS = (
    re.compile(
        rf"^(?P<x>.+?)(?:的)?(?:设定|法律|法定|政策|办理|实施)?依据(?:是什么|有哪些|是哪些|是哪个|有什么|在哪)?{_Q}"
    ),
    re.compile(
        rf"^(?P<x>.+?)(?:是)?(?:依据|根据|按照)(?:的是)?(?:什么|哪些|哪个|哪部|哪条)"
        rf"(?:法律|法规|规定|文件|政策|条例)?(?:设立的|设定的|办理的|来的|定的)?{_Q}"
    ),
)
_AND = r"(?:和|与|跟|同|以及|及|还有)"
_DIFF = r"(?:区别|不同|差别|差异|不一样|有何不同)"
_COMPARE = (
    re.compile(
        rf"^(?P<x>.+){_AND}(?:办理|办|申请)?(?P<y>.+?)(?:之间)?(?:的)?(?:有|都有)?(?:什么|哪些|何|哪里|哪儿|啥)?{_DIFF}"
        rf"(?:是什么|在哪里|在哪|有哪些|呢)?{_Q}"
    ),
    re.compile(rf"^(?P<x>.+){_AND}(?P<y>.+?)(?:有)?(?:什么)?{_DIFF}吗{_Q}"),
)
_CONNECTIVE = re.compile(r"^(?:那么|那|还有|另外|再问一下|再问下|它|这个事项|这个|该事项|这项)")
_SPLIT = re.compile(_AND)


@dataclass(frozen=True)
class Intent:
    """A graph question: its form, the words naming X (empty: the service discussed before) and, to compare, Y."""

    form: Form
    x: str
    y: str = ""
    # for a comparison, every way of cutting "X和Y" at a conjunction (a service name may hold 和 itself)
    splits: tuple[tuple[str, str], ...] = ()


def _x(text: str) -> str:
    return _CONNECTIVE.sub("", text.strip(" ,，、")).strip(" ,，、")


def _splits(whole: str) -> tuple[tuple[str, str], ...]:
    out = []
    for m in _SPLIT.finditer(whole):
        left, right = whole[: m.start()].strip(), whole[m.end() :].strip()
        if left and right:
            out.append((left, right))
    return tuple(out)


def parse(text: str) -> Intent | None:
    """The graph question a cleaned (folded, greetings removed) question asks, if any."""
    q = text.replace("啥", "什么").replace("咋", "怎么").strip()
    for pattern in _COMPARE:
        m = pattern.match(q)
        if m:
            whole = q[: m.end("y")]
            splits = _splits(whole)
            return Intent("compare", _x(m.group("x")), m.group("y").strip(), splits)
    for form, patterns in (("basis", _BASIS), ("place", _PLACE), ("materials", _MATERIALS)):
        for pattern in patterns:
            m = pattern.match(q)
            if m:
                return Intent(form, _x(m.group("x")))  # type: ignore[arg-type]
    return None
