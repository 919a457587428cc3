"""Is a question about the asker's own records (我的公积金余额是多少)? Which record, and what about it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.lookups.models import Aspect, RecordKind

# Most specific first: 医保卡 before 社保卡 (a 社保卡 question is about the social insurance record).
_KIND_WORDS: tuple[tuple[RecordKind, re.Pattern[str]], ...] = (
    ("housing_fund", re.compile(r"公积金")),
    ("medical", re.compile(r"医保|医疗保险|医疗账户|医保账户")),
    ("pension", re.compile(r"社保|养老保险|养老金|社会保险")),
)
_ASPECTS: tuple[tuple[Aspect, re.Pattern[str]], ...] = (
    ("balance", re.compile(r"余额|还剩|剩多少|还有多少|有多少钱|多少钱了")),
    ("years", re.compile(r"几年|多少年|多久|多长时间|年限|几个月|多少个月|累计|交了多少|缴了多少")),
    ("history", re.compile(r"记录|明细|流水|缴费情况|缴存情况|参保情况|交费情况|缴纳情况")),
    ("overview", re.compile(r"查询|查一下|查查|查看|看看|每月|每个月|月缴|状态|账户信息|基数")),
)
# The asker speaks of their own (or their unit's) record: 我的, 我社保, 本人, 我们单位, 我司, 咱 …
_OWN = re.compile(r"我的|^我|本人|本单位|我们单位|我单位|我司|我们公司|我公司|咱|我(?:已经|一共|总共)?(?:交|缴)")
_PROCEDURE = re.compile(r"怎么|如何|怎样|咋|在哪|哪里|能不能|可以|需要|流程|手续")
# Nothing but whose and which record (我的医保, 查我的社保呢, 本人住房公积金情况？): an overview of it
_BARE = re.compile(
    r"(?:请问|帮我看看|帮我查查|查)?(?:我的|我|本人)(?:住房)?(?:公积金|医保|医疗保险|社保|社会保险|养老保险)"
    r"(?:账户|卡)?(?:情况|信息)?[呢吗啊呀吧]?[？?。！!]*"
)


@dataclass(frozen=True)
class PersonalQuestion:
    """A question about one's own record: which record and what about it."""

    kind: RecordKind
    aspect: Aspect


def personal_question(question: str) -> PersonalQuestion | None:
    """The record and aspect a question asks the asker's own data about; None for every other question
    (我的公积金怎么提取 asks how, not what: the knowledge base answers it)."""
    text = re.sub(r"\s+", "", question or "")[:200]
    if not text or not _OWN.search(text):
        return None
    kind = next((k for k, words in _KIND_WORDS if words.search(text)), None)
    if kind is None:
        return None
    aspect = next((a for a, words in _ASPECTS if words.search(text)), None)
    if aspect is None and _BARE.fullmatch(text):  # 我的医保 / 我的社保呢: the record itself, asked for whole
        aspect = "overview"
    if aspect is None or (aspect == "overview" and _PROCEDURE.search(text)):
        return None
    return PersonalQuestion(kind, aspect)


# 那医保呢 / 社保的呢 / 那公积金？: another record, the same question as the answer just given
_FOLLOW_UP = re.compile(
    r"(?:那|那么)?(?:我的)?(?:住房)?(公积金|医保|医疗保险|社保|社会保险|养老保险)(?:的)?(?:呢|吗|啊)?[？?。]*"
)


def follow_up(question: str, told: str | None) -> PersonalQuestion | None:
    """After an answer from the asker's own records that told `told` (an aspect), a question naming only another
    record (那医保呢) asks the same of that one; None for anything else."""
    aspect = next((a for a, _ in _ASPECTS if a == told), None)
    m = _FOLLOW_UP.fullmatch(re.sub(r"\s+", "", question or "")[:50])
    if m is None or aspect is None:
        return None
    kind = next(k for k, words in _KIND_WORDS if words.search(m.group(1)))
    return PersonalQuestion(kind, aspect)
