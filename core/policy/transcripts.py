"""Press-conference transcripts and 答记者问 split into question-and-answer pairs."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A question starts with 问： / 记者： / 提问： or “<媒体>记者：” (新华社记者：, 中央广播电视总台央视记者：).
_QUESTION = re.compile(
    r"^\s*(?:【?(?:问|提问|记者)】?|[^：:\s]{1,30}?记者|[^：:\s]{1,12}?[（(][^）)]{1,20}[）)]记者)\s*[：:]\s*"
)
# An answer starts with 答： or a speaker's name/post and a colon on its own or leading a line (汪文斌：).
_ANSWER = re.compile(r"^\s*(?:【?答】?|[\u4e00-\u9fff·]{2,20})\s*[：:]\s*")
_HOST = re.compile(r"^\s*(?:主持人|【主持人】)[^：:]{0,10}[：:]")
MIN_QUESTION = 4


@dataclass(frozen=True)
class Exchange:
    """One question put at a press conference and the answer given."""

    question: str
    answer: str
    speaker: str | None = None


def _exchange(question: list[str], answer: list[str], speaker: str | None) -> list[Exchange]:
    """The exchange the lines read so far make, if they make one."""
    q, a = "".join(question).strip(), "\n".join(p for p in answer if p).strip()
    return [Exchange(q, a, speaker)] if len(q) >= MIN_QUESTION and a else []


def split_transcript(text: str) -> list[Exchange]:
    """Exchanges in order; host remarks and the opening statement before the first question are left out."""
    out: list[Exchange] = []
    question: list[str] = []
    answer: list[str] = []
    speaker: str | None = None
    state = "before"
    for line in text.splitlines():
        if not line.strip():
            continue
        if _HOST.match(line):
            out += _exchange(question, answer, speaker)
            question, answer, speaker, state = [], [], None, "before"
            continue
        q = _QUESTION.match(line)
        if q:
            out += _exchange(question, answer, speaker)
            question, answer, speaker, state = [line[q.end() :]], [], None, "question"
            continue
        a = _ANSWER.match(line) if state == "question" else None
        if a:
            label = line[: a.end()].strip().rstrip("：:").strip("【】")
            speaker = None if label == "答" else label
            answer, state = [line[a.end() :]], "answer"
        elif state == "question":
            question.append(line)
        elif state == "answer":
            answer.append(line)
    return out + _exchange(question, answer, speaker)


def is_transcript(title: str, text: str) -> bool:
    """A page worth splitting: a 答记者问/发布会 title, or at least two question markers in the text."""
    if re.search(r"答记者问|发布会|记者会|答问|实录|访谈", title):
        return True
    return sum(1 for line in text.splitlines() if _QUESTION.match(line)) >= 2
