"""The aspect a question asks for (when, how much, which number, how many) and whether an answer states it.

A citizen who asks 超市晚上开到几点 wants an answer that states a time; one who asks 每人每天能补多少钱 wants an
amount. Many stored answers share a question's subject words, and the one that states what was asked is the
one meant. `asked(text)` finds the aspects a question asks for from its question words; `shown(answer)` finds
the aspects an answer states from its form (a clock time or a date, a sum of money or a rate, a telephone
number, a count of items: 12项, 三类, 一是…二是). Where is not among them: answers name a place in too many
ways (an office, a website, an app) for their form to tell; on the project's own questions that ask where, only
5 of 14 right answers showed one. Both lists are written from general knowledge of how Chinese questions ask for
these aspects and how official answers state them; nothing was taken from an evaluation question.
"""

from __future__ import annotations

import re

_NUMERAL = r"(?:\d+(?:\.\d+)?|[一二两三四五六七八九十百千万半]+)"
# (what the question says, what an answer that gives it shows); written from general knowledge
_ASPECTS: dict[str, tuple[str, str]] = {
    "time": (
        r"什么时候|啥时候|何时|哪天|哪一天|几号|几点|几时|多久|多长时间|几天|几个月|几年|期限|截止|到什么时间|开到|"
        r"什么时间|多会儿|啥时",
        rf"{_NUMERAL}\s*(?:年|月|日|号|时|点|天|个?月|个?工作日|小时|周|分钟)|月底|年底|即日起|之前|以前|期间|截至|"
        r"暂停|延长|推迟",
    ),
    "money": (
        r"多少钱|多少元|几块钱|多少费用|费用|收费|收钱|要钱|花钱|掏钱|补多少|补贴多少|奖补多少|奖励多少|补助多少|"
        r"标准是多少|价格|多少补贴|免费",
        rf"{_NUMERAL}\s*(?:元|万元|亿元|块|%|％|成)|免费|免收|不收|减半|全额|补贴|补助|费用",
    ),
    "phone": (
        r"电话|热线|号码|打啥|打什么|拨打|联系方式|找谁",
        r"\d{3,4}[-—－]?\d{7,8}|\d{5,}|热线|电话",
    ),
    # how many items (几条, 多少项, 哪几类): answers that count them (12项, 三类) or enumerate (一是…二是); 几个月 and
    # 几个工作日 ask a time, not a count (issue 18, 2026-12-04)
    "count": (
        r"几条|几项|几个(?!月|工作日|小时)|几种|几类|几家|几批|几次|多少项|多少条|多少个|多少种|多少类|多少家|多少批|"
        r"哪几",
        # a lone 一 is mostly "a" (一个, 一次性), not a count; an enumeration shows itself by its second item
        r"(?:\d+|[两二三四五六七八九十百]+[一二三四五六七八九]?)\s*(?:项|条|个|种|类|家|批|次(?!性)|方面)|二是",
    ),
}
_ASKED = {name: re.compile(question) for name, (question, _) in _ASPECTS.items()}
_SHOWN = {name: re.compile(answer) for name, (_, answer) in _ASPECTS.items()}
_SHOWN_SPAN = 600  # an answer states what was asked near its start


def asked(text: str) -> frozenset[str]:
    """The aspects a (folded) question asks for: time, money, phone, count; empty when none is asked."""
    return frozenset(name for name, pattern in _ASKED.items() if pattern.search(text))


def shown(answer: str) -> frozenset[str]:
    """The aspects a (folded) answer states, judged from its form near the start."""
    head = answer[:_SHOWN_SPAN]
    return frozenset(name for name, pattern in _SHOWN.items() if pattern.search(head))
