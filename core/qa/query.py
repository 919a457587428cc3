"""What a citizen typed, understood: small talk, polite wrappers, follow-ups, and the text to match."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from core.qa.subject import names_subject
from core.textzh import fold

SmallTalk = Literal["greeting", "thanks", "goodbye"]
MAX_QUESTION_CHARS = 500

_GREETING_WORDS = (
    *("你好", "您好", "你们好", "大家好", "hello", "hi", "嗨", "哈喽", "早上好", "上午好", "下午好", "晚上好"),
    *("在吗", "在不在", "有人吗", "小助手", "客服", "机器人"),
)
_THANKS_WORDS = (
    *("谢谢你", "谢谢您", "谢谢", "多谢", "感谢", "谢了", "thanks", "thank you"),
    *("辛苦了", "好的", "明白了", "知道了", "懂了"),
)
_GOODBYE_WORDS = ("再见", "拜拜", "bye", "goodbye", "回见", "下次见", "没有了", "没事了")
_POLITE_PREFIX = re.compile(
    r"^(?:(?:你好|您好|你们好|哈喽|hello|hi|嗨|早上好|上午好|下午好|晚上好|在吗|小助手|客服|"
    r"请问一下|请问|问一下|问下|想问一下|想问下|我想问一下|我想问|我想咨询一下|我想咨询|想咨询一下|咨询一下|咨询|"
    r"麻烦问一下|麻烦问下|麻烦您|麻烦|打扰一下|打扰了|不好意思)[\s,，.。!！~、:：]*)+"
)
_POLITE_SUFFIX = re.compile(
    r"(?:[\s,，.。!！~、]*(?:谢谢你|谢谢您|谢谢|多谢|感谢|麻烦了|麻烦你了|辛苦了|呀|啊|呢|哈))+[\s,，.。!！~]*$"
)
_FOLLOW_UP = re.compile(r"^(?:那|那么|那要|那得|还有|还要|另外|再问一下|再问下|它|这个|该事项|这项|这个事)")
_WORD = re.compile(r"[\u3400-\u9fffA-Za-z0-9]")


@dataclass(frozen=True)
class Understood:
    """The question after cleaning: the text to match, any small talk, and whether it leans on context."""

    raw: str
    text: str
    small_talk: SmallTalk | None
    follow_up: bool
    truncated: bool


def _only(words: tuple[str, ...], text: str) -> bool:
    rest = text
    for word in sorted(words, key=len, reverse=True):
        rest = rest.replace(word, "")
    return not _WORD.search(rest)


def small_talk_of(folded: str) -> SmallTalk | None:
    """The kind of small talk when the whole message is nothing else."""
    if not folded:
        return None
    if _only(_GOODBYE_WORDS + _THANKS_WORDS, folded) and any(w in folded for w in _GOODBYE_WORDS):
        return "goodbye"
    if _only(_THANKS_WORDS + _GREETING_WORDS, folded) and any(w in folded for w in _THANKS_WORDS):
        return "thanks"
    greeting = (*_GREETING_WORDS, "请问", "问一下", "咨询")
    if _only(greeting, folded) and any(w in folded for w in greeting):
        return "greeting"
    return None


def has_words(text: str) -> bool:
    """Whether the text holds any letter, digit or hanzi (emoji and punctuation alone do not count)."""
    return bool(_WORD.search(text))


def printable(text: str) -> str:
    """Control and format characters removed (emoji kept: they are harmless to the matcher)."""
    return "".join(ch for ch in text if unicodedata.category(ch)[0] != "C" or ch in "\n\t")


def understand(raw: str) -> Understood:
    """Fold, strip greetings and thanks around a question, cap the length, and spot follow-ups."""
    cleaned = printable(raw or "")
    truncated = len(cleaned) > MAX_QUESTION_CHARS
    folded = fold(cleaned[:MAX_QUESTION_CHARS])
    talk = small_talk_of(folded)
    if talk is not None:
        return Understood(raw, "", talk, False, truncated)
    text = _POLITE_SUFFIX.sub("", _POLITE_PREFIX.sub("", folded)).strip()
    # 那需要什么材料 asks about the matter last discussed; 怎么办理社保卡 names its own and never leans on one.
    follow_up = bool(text) and not names_subject(text)
    return Understood(raw, text, None, follow_up, truncated)


def strip_follow_up(text: str) -> str:
    """The follow-up without its leading connective (那需要什么材料 → 需要什么材料)."""
    return _FOLLOW_UP.sub("", text).lstrip(",，、 ")
