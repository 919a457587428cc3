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
# Greetings and "may I ask" openings before the question itself (你好呀，问个事，…; 工作人员您好，我想了解一下…):
# general spoken forms, written by us. Bare 咨询 is not among them: 咨询电话是多少 asks about the 咨询电话.
_GREET = (
    r"(?:工作人员|老师|领导|同志|客服|小助手|你们|大家)?(?:你好|您好)|你们好|大家好|老师好|领导好|"
    r"hello|hi|嗨|哈喽|早上好|上午好|下午好|晚上好|在吗|在不在|有人吗|小助手|客服|"
    r"打扰一下|打扰了|不好意思|麻烦您|麻烦你|麻烦"
)
_ASK = (
    r"(?:我)?(?:想|要)?(?:请问|问问|问一下|问下|问个事儿?|问个问题|请教|咨询个问题|咨询个事儿?|了解|知道|打听|"
    r"帮我查|帮忙查|帮我问|咨询(?=一下|下))(?:一下|下)?"
)
_POLITE_PREFIX = re.compile(rf"^(?:(?:{_GREET}|{_ASK})[呀啊哈]?[\s,，.。!！?？~、:：]*)+")
# Thanks and "please reply" closings after the question (…谢谢您的解答; …麻烦告知一下，在线等): written by us.
_CLOSING = (
    r"(?:谢谢你|谢谢您|谢谢|多谢|感谢|感谢您|非常感谢)(?:了|啦|您|你)?(?:的)?(?:解答|回复|帮助|答复)?|"
    r"(?:麻烦|请|望|烦请|求)(?:您|你)?(?:告知|告诉我|回复|解答|答复)(?:一下|下)?|在线等|麻烦了|麻烦你了|辛苦了|"
    r"呀|啊|呢|哈"
)
_POLITE_SUFFIX = re.compile(rf"(?:[\s,，.。!！?？~、]*(?:{_CLOSING}))+[\s,，.。!！?？~]*$")
# A spoken yes-no question ends a clause with 不 (要钱不, 还能继续玩不): it asks what 吗 asks, and its bigrams
# (钱不, 玩不) occur in no answer. 不 before a verb or inside a word (不收费, 要不要) is left alone.
_TAG_NOT = re.compile(r"(?<=[\u4e00-\u9fff])不(?=$|[\s,，.。?？!！;；、])")
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
    text = _TAG_NOT.sub("吗", _POLITE_SUFFIX.sub("", _POLITE_PREFIX.sub("", folded)).strip())
    # 那需要什么材料 asks about the matter last discussed; 怎么办理社保卡 names its own and never leans on one.
    follow_up = bool(text) and not names_subject(text)
    return Understood(raw, text, None, follow_up, truncated)


def strip_follow_up(text: str) -> str:
    """The follow-up without its leading connective (那需要什么材料 → 需要什么材料)."""
    return _FOLLOW_UP.sub("", text).lstrip(",，、 ")
