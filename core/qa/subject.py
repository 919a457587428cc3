"""Whether a question names the matter it asks about (社保卡怎么办) or only an aspect of one (那要带什么)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from core.textzh import get_analyzer

# Words that ask about a matter without naming it: question and function words, handling verbs, and the
# aspects a service guide answers (材料, 地点, 时间, 条件, 费用, 网办, 电话, 流程, 依据). Written by us.
_FUNCTION = (
    *("怎么", "怎样", "怎么样", "怎么办", "怎么弄", "怎么搞", "如何", "咋", "咋办", "咋弄", "咋整", "啥", "什么", "哪"),
    *(
        "哪里",
        "哪儿",
        "哪个",
        "哪些",
        "哪家",
        "在哪",
        "去哪",
        "几",
        "几点",
        "几号",
        "多",
        "多久",
        "多长",
        "多少",
        "为什么",
    ),
    *("吗", "呢", "吧", "啊", "呀", "嘛", "了", "的", "得", "地", "着", "过", "是", "是否", "是不是", "有", "没有"),
    *("有没有", "没", "不", "要", "需要", "需", "得", "能", "不能", "能否", "可以", "可不可以", "可否", "会", "还"),
    *("还有", "另外", "再", "也", "都", "就", "才", "又", "那", "那么", "那个", "这", "这个", "这些", "那些", "该"),
    *("它", "其", "我", "我们", "你", "您", "他", "她", "自己", "本人", "别人", "家人", "个", "一下", "一个", "请问"),
    *("东西", "事", "事情", "事项", "这项", "别的", "其他", "其它", "好", "行", "吗", "在", "去", "到", "给", "让"),
    *("和", "或", "及", "跟", "与", "从", "对", "被", "把", "用", "之后", "以后", "时候", "的话", "如果", "现在"),
)
_HANDLING = (
    *("办", "办理", "申请", "申办", "申领", "办证", "办好", "办完", "带", "要带", "携带", "交", "要交", "缴"),
    *("提交", "递交", "提供", "准备", "出示", "复印", "拿", "拿到", "领", "领取", "取", "弄", "搞", "处理"),
    *("代办", "委托", "预约", "查", "查询", "咨询", "联系", "打电话", "开", "开具", "补", "补办", "换", "填"),
)
_ASPECT = (
    *("材料", "资料", "证件", "手续", "复印件", "原件", "照片", "表格", "条件", "要求", "资格", "地点", "地址"),
    *("窗口", "时间", "时限", "期限", "工作日", "天", "几天", "周末", "节假日", "上午", "下午", "晚上", "今天"),
    *("费用", "钱", "要钱", "收费", "收费标准", "免费", "花钱", "流程", "步骤", "程序", "网上", "网上办理"),
    *("线上", "在线", "网办", "现场", "电话", "咨询电话", "依据", "政策", "办结", "结果", "进度", "标准", "多少钱"),
)
NOT_SUBJECT = frozenset((*_FUNCTION, *_HANDLING, *_ASPECT))
# What follows these is a material brought along (要带身份证吗), not the matter asked about.
_BRINGS = frozenset(("带", "要带", "携带", "出示", "提供", "复印", "需要", "要", "需", "准备", "提交"))
_LATIN_WORD = re.compile(r"^(?=.*[a-z])[a-z0-9]{3,}$")
_HAN = re.compile(r"^[\u3400-\u9fff]{2,}$")


@lru_cache(maxsize=4096)
def _only_aspects(token: str) -> bool:
    """Whether the token is made wholly of words that name no matter (网上办理 = 网上 + 办理; 哪领 = 哪 + 领)."""
    if not token or token in NOT_SUBJECT:
        return True
    return any(token[:n] in NOT_SUBJECT and _only_aspects(token[n:]) for n in range(len(token) - 1, 0, -1))


def subject_words(tokens: Sequence[str]) -> list[str]:
    """The tokens that name a matter: content words of two or more hanzi (or a Latin word such as pinyin)
    that are neither an aspect nor a material brought along."""
    out = []
    for i, token in enumerate(tokens):
        if not (_HAN.match(token) or _LATIN_WORD.match(token)) or _only_aspects(token):
            continue
        if i > 0 and tokens[i - 1] in _BRINGS:
            continue
        out.append(token)
    return out


def names_subject(text: str) -> bool:
    """True when the (folded, cleaned) question names what it asks about: then it is never a follow-up."""
    return bool(subject_words(get_analyzer().tokens(text)))
